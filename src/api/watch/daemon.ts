import type { Runtime } from '../../core/runtime/runtime.js';
import type { SyncAccount } from '../engines/sync-account.js';
import type { ImapWatch } from '../repositories/imap-watch.js';
import type { MaildirRepository } from '../repositories/maildir.js';
import type { SyncTopology } from '../sync-topology.js';
import { exitCodeOf, summarize } from '../summary.js';
import { systemClock, type Clock } from './clock.js';
import type { PassSummary, WatchControl, WatchStatus } from './types.js';
import { WatchAccount, type WatchAccountOptions } from './watch-account.js';

/**
 * A running daemon: the watch loops of every account of the process,
 * steered as one (WatchControl: what the control socket calls).
 */
export class WatchDaemon implements WatchControl {
  private readonly startedAt: string;
  private paused = false;
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** Resolves once stop() has ended every loop. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly app: string,
    readonly accounts: readonly WatchAccount[],
    private readonly clock: Clock = systemClock,
  ) {
    this.startedAt = new Date(clock.wall()).toISOString();
  }

  start(): void {
    for (const account of this.accounts) account.start();
  }

  status(): WatchStatus {
    return { app: this.app, pid: process.pid, startedAt: this.startedAt, paused: this.paused, accounts: this.accounts.map((account) => account.status()) };
  }

  async syncNow(folders?: string[]): Promise<PassSummary> {
    const started = this.clock.monotonic();
    const reports = await Promise.all(this.accounts.map((account) => account.syncNow(folders)));
    const summary = summarize(reports, (this.clock.monotonic() - started) / 1000);
    return { summary, exitCode: exitCodeOf(summary) };
  }

  pause(): void {
    this.paused = true;
    for (const account of this.accounts) account.pause();
  }

  resume(): void {
    this.paused = false;
    for (const account of this.accounts) account.resumePasses();
  }

  stop(): Promise<void> {
    this.stopping ??= Promise.all(this.accounts.map((account) => account.stop())).then(() => this.resolveStopped());
    return this.stopping;
  }
}

/** What every account of `watchTopologies` shares; the rest comes from each topology. */
export type SharedWatchOptions = Omit<WatchAccountOptions, 'account' | 'remote' | 'maildir' | 'pass' | 'server' | 'local'>;

/**
 * The daemon of an app declared with `declareSyncTopology(..., { watch })`:
 * one WatchAccount per topology, its passes run by the topology's
 * SyncAccount, the server heard by its ImapWatch actor, the Maildir (when
 * declared `local`) by its repository. Not started: call start().
 */
export function watchTopologies(
  runtime: Runtime,
  app: string,
  accounts: readonly { topology: SyncTopology; account: string; remote: string; maildir: string }[],
  options: SharedWatchOptions,
): WatchDaemon {
  const loops = accounts.map(({ topology, account, remote, maildir }) => {
    const engine = runtime.client<SyncAccount>(topology.account);
    const server = topology.watch?.server ? runtime.client<ImapWatch>(topology.watch.server) : undefined;
    const local = topology.watch?.local ? runtime.client<MaildirRepository>(topology.watch.local) : undefined;
    return new WatchAccount({
      ...options,
      account,
      remote,
      maildir,
      pass: (only) => engine.run(only),
      ...(server ? { server } : {}),
      ...(local ? { local } : {}),
    });
  });
  return new WatchDaemon(app, loops, options.clock);
}
