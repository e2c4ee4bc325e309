import { serveControl, watchTopologies, type Runtime, type SyncTopology, type WatchControlServer } from '../../api/index.js';
import type { MaildirAppAccount, WatchSettings } from './maildir-app-options.js';
import { onChangeCommand } from './on-change.js';

export interface RunWatchOptions {
  app: string;
  /** The accounts, in the order of their topologies. */
  accounts: readonly MaildirAppAccount[];
  watch: WatchSettings;
  stateDir?: string;
  /** Started before the daemon (the control socket: serveControl by default), closed when it stops. */
  controlServer?: WatchControlServer;
}

/**
 * `--watch`: runs the daemon over every account's topology until it is
 * stopped (SIGTERM, SIGINT, or `stop` through the control socket). Only
 * passes that changed something are logged (info), one line each.
 */
export async function runWatch(runtime: Runtime, topologies: readonly SyncTopology[], options: RunWatchOptions): Promise<number> {
  const logger = runtime.logger;
  const daemon = watchTopologies(
    runtime,
    options.app,
    topologies.map((topology, i) => ({ topology, account: options.accounts[i]!.name, remote: options.accounts[i]!.remote, maildir: options.accounts[i]!.maildir })),
    {
      idle: options.watch.idle,
      intervalMs: options.watch.intervalMs,
      ...backoffFromEnvironment(),
      logger,
      ...(options.watch.onChange ? { onPass: onChangeCommand(options.watch.onChange, logger) } : {}),
    },
  );
  const accounts = options.accounts.map((account) => account.name);
  // First: a second daemon for the same state directory stops here (DaemonRunningError), before any pass.
  const serve = options.controlServer ?? ((control, where) => serveControl(control, { ...where, logger }));
  const control = await serve(daemon, { ...(options.stateDir ? { stateDir: options.stateDir } : {}), accounts });
  const stop = () => void daemon.stop();
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  daemon.start();
  logger.info({ accounts }, `imapfw ${options.app} --watch: running (pid ${process.pid})`);
  try {
    await daemon.stopped;
  } finally {
    await control.close();
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
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
