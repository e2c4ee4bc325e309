import { existsSync } from 'node:fs';
import { declareSyncTopology, INLINE_PLACEMENT, SHIPPED_PLACEMENT, type SyncPlacement } from '../../api/sync-topology.js';
import { registerKnownPasswords } from '../../api/output.js';
import { stateDatabasePath } from '../../api/state/database-path.js';
import type { Runtime, SyncAccountOptions, SyncPolicy, SyncTopology } from '../../api/index.js';
import type { MaildirAppAccount, MaildirAppRun } from './maildir-app-options.js';
import { stateOwner } from '../../api/state/state-owner.js';

/** What differs between the apps from one server to a Maildir: how the server is opened, the policy, the account's folder rules. */
export interface MaildirAppAccountSpec {
  /** The app's name: its states are its own. */
  app: string;
  readOnlyServer: boolean;
  policy: SyncPolicy;
  folders: Pick<SyncAccountOptions, 'create' | 'remove'> & Partial<Pick<SyncAccountOptions, 'keepNonEmpty' | 'moves' | 'restore'>>;
  /** With --watch: also hear the Maildir's changes (a two-way sync; a mirror only writes there). */
  watchLocal?: boolean;
}

/** With --watch, a refused login is tried again (at the daemon's longest backoff) instead of being final. */
const RETRY_REFUSED_LOGIN_MS = 60_000;

/**
 * Declares the topology of account `index` of such an app (`mirror`,
 * `sync`): the server's connections, one shared Maildir actor, the state,
 * the engines and the account engine; the logger once, with the first
 * account. A dry run reads a saved state but never creates one. A folder
 * pair's first sync starts from mbsync's or offlineimap's record of it, if one is there.
 */
export function declareMaildirAccount(runtime: Runtime, run: MaildirAppRun & { accounts: readonly MaildirAppAccount[] }, index: number, spec: MaildirAppAccountSpec): SyncTopology {
  const account = run.accounts[index]!;
  const secrets = registerKnownPasswords([account.password]);
  // A dry run never makes a state, nor moves one aside: with --rebuild-state it plans from an empty one.
  const stateBackend = run.dryRun && (run.rebuildState || !existsSync(stateDatabasePath(account.name, run.stateDir))) ? { backend: 'memory' } : {};
  const server = {
    url: account.remote,
    password: account.password,
    allowPlaintext: account.allowPlaintext,
    timeoutMs: run.timeoutMs,
    ...(run.watch ? { retryRefusedLoginAfterMs: RETRY_REFUSED_LOGIN_MS } : {}),
  };
  return declareSyncTopology(runtime, {
    prefix: run.accounts.length > 1 ? `${account.name}/` : '',
    connections: Math.min(run.maxConnections, account.maxConnections ?? run.maxConnections),
    left: { key: 'imap', options: { ...server, readOnly: spec.readOnlyServer } },
    right: { key: 'maildir', shared: true, options: { root: account.maildir, layout: account.layout, ...(account.inbox !== undefined ? { inbox: account.inbox } : {}), ...(account.mbsyncState !== undefined ? { mbsyncState: account.mbsyncState } : {}), ...(account.offlineimapState !== undefined ? { offlineimapState: account.offlineimapState } : {}), fsync: run.fsync, create: !run.dryRun, dryRun: run.dryRun } },
    state: { key: 'state', options: { account: account.name, ...(run.stateDir ? { stateDir: run.stateDir } : {}), rebuild: run.rebuildState, owner: stateOwner(spec.app, account.remote, account.maildir), ...stateBackend } },
    engine: { key: 'engine', options: { policy: spec.policy, dryRun: run.dryRun, priorSync: 'right', ...(account.uploadLimit ? { uploadLimit: { left: account.uploadLimit } } : {}) } },
    account: { key: 'account', options: { include: account.folders, exclude: account.exclude, ...spec.folders, dryRun: run.dryRun, sideNames: { left: 'the server', right: 'the Maildir' } } },
    ...(run.backend ? { backends: { engines: run.backend } } : { placement: accountPlacement(run) }),
    ...(run.watch ? { watch: { server: { key: 'watch', options: server }, local: spec.watchLocal === true } } : {}),
    ...(index === 0 ? { logger: { pretty: process.stderr.isTTY === true, secrets } } : {}),
  });
}

/**
 * Where an account's actors run unless `--placement` says: a one-shot run on
 * the main thread (its accounts run one after the other, and a worker's
 * start costs more than it gives there, see INLINE_PLACEMENT); a daemon
 * in workers (its accounts run at once, each copy on a thread of its own
 * with the state's fsyncs off it, and the threads start once for its life).
 */
function accountPlacement(run: MaildirAppRun): SyncPlacement {
  return (run.placement ?? (run.watch ? 'workers' : 'main')) === 'main' ? INLINE_PLACEMENT : SHIPPED_PLACEMENT;
}
