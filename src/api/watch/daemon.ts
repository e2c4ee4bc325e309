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
  private readonly loops: WatchAccount[];
  private started = false;
  private paused = false;
  private stopping: Promise<void> | undefined;
  private resolveStopped!: () => void;
  /** Resolves once stop() has ended every loop. */
  readonly stopped = new Promise<void>((resolve) => (this.resolveStopped = resolve));

  constructor(
    private readonly app: string,
    accounts: readonly WatchAccount[],
    private readonly clock: Clock = systemClock,
  ) {
    this.loops = [...accounts];
    this.startedAt = new Date(clock.wall()).toISOString();
  }

  /** The accounts served now. */
  get accounts(): readonly WatchAccount[] {
    return this.loops;
  }

  start(): void {
    this.started = true;
    for (const account of this.loops) account.start();
  }

  /** Serves one more account (a config read again): started at once when the daemon runs, paused while it is. False once stopping. */
  add(account: WatchAccount): boolean {
    if (this.stopping) return false;
    this.loops.push(account);
    if (this.paused) account.pause();
    if (this.started) account.start();
    return true;
  }

  /** Stops serving `account`: its pass in progress winds down (its batches in flight finish), no other starts; resolves once its loop ended. */
  async remove(account: WatchAccount): Promise<void> {
    const index = this.loops.indexOf(account);
    if (index >= 0) this.loops.splice(index, 1);
    await account.stop();
  }

  status(): WatchStatus {
    return { app: this.app, pid: process.pid, startedAt: this.startedAt, paused: this.paused, accounts: this.loops.map((account) => account.status()) };
  }

  async syncNow(folders?: string[]): Promise<PassSummary> {
    const started = this.clock.monotonic();
    const reports = await Promise.all(this.loops.map((account) => account.syncNow(folders)));
    const summary = summarize(reports, (this.clock.monotonic() - started) / 1000);
    return { summary, exitCode: exitCodeOf(summary) };
  }

  pause(): void {
    this.paused = true;
    for (const account of this.loops) account.pause();
  }

  resume(): void {
    this.paused = false;
    for (const account of this.loops) account.resumePasses();
  }

  stop(): Promise<void> {
    this.stopping ??= Promise.all(this.loops.map((account) => account.stop())).then(() => this.resolveStopped());
    return this.stopping;
  }
}

/** What every account of `watchTopologies` shares; the rest comes from each topology. */
export type SharedWatchOptions = Omit<WatchAccountOptions, 'account' | 'remote' | 'maildir' | 'pass' | 'interruptPass' | 'server' | 'local'>;

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
  return new WatchDaemon(
    app,
    accounts.map((account) => watchTopology(runtime, account, options)),
    options.clock,
  );
}

/** The watch loop of one account declared with `declareSyncTopology(..., { watch })` in `runtime` (see watchTopologies). Not started. */
export function watchTopology(
  runtime: Runtime,
  { topology, account, remote, maildir }: { topology: SyncTopology; account: string; remote: string; maildir: string },
  options: SharedWatchOptions,
): WatchAccount {
  const engine = runtime.client<SyncAccount>(topology.account);
  const server = topology.watch?.server ? runtime.client<ImapWatch>(topology.watch.server) : undefined;
  const local = topology.watch?.local ? runtime.client<MaildirRepository>(topology.watch.local) : undefined;
  return new WatchAccount({
    ...options,
    account,
    remote,
    maildir,
    pass: (only) => engine.run(only),
    interruptPass: () => engine.interrupt(),
    ...(server ? { server } : {}),
    ...(local ? { local } : {}),
  });
}
