import type { Logger } from 'pino';
import { Runtime, watchTopology, type SharedWatchOptions, type SyncTopology, type WatchAccount, type WatchDaemon } from '../../api/index.js';
import { ConfigError } from '../../api/errors.js';
import type { ConfigSource, MaildirAppAccount } from './maildir-app-options.js';

/** What a daemon started with `--config` needs to read it again (SIGHUP). */
export interface WatchReload<Account extends MaildirAppAccount = MaildirAppAccount> {
  config: ConfigSource<{ accounts: readonly Account[] }>;
  /** The app module: the workers of an account started by a reload import it. */
  appModule: string;
  /** Declares one account in a runtime of its own, as the app's build() does. */
  declare(runtime: Runtime, account: Account): Promise<SyncTopology>;
}

/** An account the daemon serves: its settings as last read, its loop, and how its actors end. */
interface Served {
  account: MaildirAppAccount;
  fingerprint: string;
  loop: WatchAccount;
  /** Ends the account's actors (its lock is released): its own runtime, or its actors in the first one. */
  release(): Promise<void>;
  /** Its own runtime (started by a reload), which the daemon stops when it ends; the first runtime is the app's to stop. */
  runtime?: Runtime;
}

/**
 * The accounts a daemon serves, by name, and SIGHUP's reload: the config is
 * read again; accounts added start (each in a runtime of its own), accounts
 * removed stop (the pass in flight finishes, the lock is released), accounts
 * whose settings changed restart with the new ones; the others are not
 * touched. A config that no longer loads or validates is refused and the
 * daemon goes on with what it had. Reloads run one at a time.
 */
export class ServedAccounts<Account extends MaildirAppAccount> {
  private readonly served = new Map<string, Served>();
  private reloading: Promise<void> = Promise.resolve();
  private closing: Promise<void> | undefined;

  constructor(
    private readonly daemon: WatchDaemon,
    private readonly options: SharedWatchOptions & { logger: Logger },
    private readonly reloader: WatchReload<Account>,
  ) {}

  /** An account of the app's first runtime, already in the daemon. */
  adopt(account: MaildirAppAccount, loop: WatchAccount, runtime: Runtime, topology: SyncTopology): void {
    this.served.set(account.name, { account, fingerprint: fingerprint(account), loop, release: () => runtime.stopActors(topology.actors) });
  }

  /** Reads the config again and applies it, after any reload in progress. */
  reload(): Promise<void> {
    this.reloading = this.reloading.then(() => this.apply());
    return this.reloading;
  }

  /** Once the daemon stopped: waits for a reload in progress, then stops the runtimes reloads started. */
  close(): Promise<void> {
    this.closing ??= this.reloading.then(async () => {
      await Promise.all([...this.served.values()].map((served) => served.runtime?.stop()));
    });
    return this.closing;
  }

  private async apply(): Promise<void> {
    const { logger } = this.options;
    const file = this.reloader.config.file;
    logger.info(`SIGHUP: reading --config ${file} again`);
    let accounts: readonly Account[];
    try {
      accounts = (await this.reloader.config.reread()).accounts;
      const names = accounts.map((account) => account.name);
      const twice = names.find((name, i) => names.indexOf(name) !== i);
      if (twice !== undefined) throw new ConfigError(`--config ${file}: two accounts are named "${twice}"`);
    } catch (error) {
      logger.error({ err: error }, `SIGHUP: --config ${file} refused, going on with the accounts already served: ${(error as Error).message}`);
      return;
    }
    const next = new Map(accounts.map((account) => [account.name, account]));
    const removed = [...this.served.values()].filter((served) => !next.has(served.account.name));
    const changed = [...this.served.values()].filter((served) => next.has(served.account.name) && fingerprint(next.get(served.account.name)!) !== served.fingerprint);
    const added = accounts.filter((account) => !this.served.has(account.name));
    if (removed.length + changed.length + added.length === 0) {
      logger.info(`SIGHUP: --config ${file} unchanged: ${accounts.length} account(s) served`);
      return;
    }
    for (const served of [...removed, ...changed]) await this.drop(served);
    const started = [];
    for (const account of [...changed.map((served) => next.get(served.account.name)!), ...added]) {
      if (await this.start(account)) started.push(account.name);
    }
    const list = (what: string, names: string[]) => (names.length ? [`${what} ${names.join(', ')}`] : []);
    logger.info(
      { added: added.map((a) => a.name), removed: removed.map((s) => s.account.name), restarted: changed.map((s) => s.account.name), started },
      `SIGHUP: --config ${file} applied: ${[...list('stopped', removed.map((s) => s.account.name)), ...list('restarted', changed.map((s) => s.account.name)), ...list('added', added.map((a) => a.name))].join('; ')}; ${this.served.size} account(s) served`,
    );
  }

  /** Stops serving an account: its pass in flight finishes, then its actors end and its lock is released. */
  private async drop(served: Served): Promise<void> {
    if (this.served.get(served.account.name) !== served) return;
    this.served.delete(served.account.name);
    await this.daemon.remove(served.loop);
    await served.release();
    this.options.logger.info(`account ${served.account.name}: no longer served (its lock is released)`);
  }

  /** Starts an account in a runtime of its own; one that cannot start is logged and left out. */
  private async start(account: Account): Promise<boolean> {
    const runtime = new Runtime({ appModule: this.reloader.appModule });
    let topology: SyncTopology;
    try {
      topology = await this.reloader.declare(runtime, account);
      await runtime.guard(runtime.start());
    } catch (error) {
      this.options.logger.error({ err: error, account: account.name }, `account ${account.name}: could not start, not served: ${(error as Error).message}`);
      await runtime.stop();
      return false;
    }
    const loop = watchTopology(runtime, { topology, account: account.name, remote: account.remote, maildir: account.maildir }, this.options);
    const served: Served = { account, fingerprint: fingerprint(account), loop, release: () => runtime.stop(), runtime };
    if (!this.daemon.add(loop)) {
      await runtime.stop();
      return false;
    }
    this.served.set(account.name, served);
    // A failure its supervisor does not absorb ends this account only: the first runtime's ends the daemon, as at start.
    runtime.supervisor.failure.catch((error: unknown) => {
      this.options.logger.error({ err: error, account: account.name }, `account ${account.name}: its workers failed, no longer served: ${(error as Error).message}`);
      void this.drop(served);
    });
    return true;
  }
}

/** An account's settings as one string: Sets as sorted lists, functions by their text. */
function fingerprint(account: MaildirAppAccount): string {
  return JSON.stringify(account, (_, value: unknown) => (value instanceof Set ? [...(value as Set<unknown>)].map(String).sort() : typeof value === 'function' ? String(value) : value));
}
