import { serveControl, watchTopologies, type Runtime, type SyncTopology, type WatchControlServer } from '../../api/index.js';
import type { MaildirAppAccount, WatchSettings } from './maildir-app-options.js';
import { onChangeCommand } from './on-change.js';
import { ServedAccounts, type WatchReload } from './served-accounts.js';

export interface RunWatchOptions<Account extends MaildirAppAccount = MaildirAppAccount> {
  app: string;
  /** The accounts, in the order of their topologies. */
  accounts: readonly Account[];
  watch: WatchSettings;
  stateDir?: string;
  /** Started before the daemon (the control socket: serveControl by default), closed when it stops. */
  controlServer?: WatchControlServer;
  /** With `--config`: what SIGHUP needs to read it again; without, SIGHUP has nothing to re-read. */
  reload?: WatchReload<Account>;
}

/**
 * `--watch`: runs the daemon over every account's topology until it is
 * stopped (SIGTERM, SIGINT, or `stop` through the control socket); SIGHUP
 * reads `--config` again (see ServedAccounts). Only passes that changed
 * something are logged (info), one line each.
 */
export async function runWatch<Account extends MaildirAppAccount>(runtime: Runtime, topologies: readonly SyncTopology[], options: RunWatchOptions<Account>): Promise<number> {
  const logger = runtime.logger;
  const shared = {
    idle: options.watch.idle,
    intervalMs: options.watch.intervalMs,
    ...backoffFromEnvironment(),
    logger,
    ...(options.watch.onChange ? { onPass: onChangeCommand(options.watch.onChange, logger) } : {}),
  };
  const daemon = watchTopologies(
    runtime,
    options.app,
    topologies.map((topology, i) => ({ topology, account: options.accounts[i]!.name, remote: options.accounts[i]!.remote, maildir: options.accounts[i]!.maildir })),
    shared,
  );
  const served = options.reload && new ServedAccounts(daemon, shared, options.reload);
  options.accounts.forEach((account, i) => served?.adopt(account, daemon.accounts[i]!, runtime, topologies[i]!));
  const hangUp = () => {
    if (served) void served.reload();
    else logger.warn(`SIGHUP: nothing to re-read (the daemon was started without --config); going on`);
  };
  const accounts = options.accounts.map((account) => account.name);
  // First: a second daemon for the same state directory stops here (DaemonRunningError), before any pass.
  const serve = options.controlServer ?? ((control, where) => serveControl(control, { ...where, logger }));
  const control = await serve(daemon, { ...(options.stateDir ? { stateDir: options.stateDir } : {}), accounts });
  // The runtimes a reload started are stopped here, the app's own by runApp once this returns (or at once on a second signal).
  const forget = runtime.onInterrupt(() => void daemon.stop().then(() => served?.close()));
  process.on('SIGHUP', hangUp);
  daemon.start();
  logger.info({ accounts }, `imapfw ${options.app} --watch: running (pid ${process.pid})`);
  try {
    await daemon.stopped;
  } finally {
    await served?.close();
    await control.close();
    forget();
    process.off('SIGHUP', hangUp);
  }
  return 0;
}

/**
 * IMAPFW_WATCH_BACKOFF=INITIAL_MS:MAX_MS shortens (or lengthens) the retry
 * rule: for tests, and for a user who knows their network. Not a flag: the
 * default (10 s to 5 min) is what a server operator expects of a client.
 */
function backoffFromEnvironment(): { backoff?: { initialMs: number; maxMs: number } } {
  const match = /^(\d+):(\d+)$/.exec(process.env.IMAPFW_WATCH_BACKOFF ?? '');
  return match ? { backoff: { initialMs: Number(match[1]), maxMs: Number(match[2]) } } : {};
}
