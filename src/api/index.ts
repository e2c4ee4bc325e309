/**
 * imapfw's public API: what apps (the shipped ones and yours) import.
 * Subclass the repositories and engines; use the rest as it is.
 */
export { defineApp, lazy, type ActorClass, type ActorContext, type AppDefinition, type LazyActorClass, type Remote } from './app.js';
export * from './errors.js';
export { ExitCode, exitCodeFor } from './exit-codes.js';
export type * from './types.js';
export { folderRef } from './folder-ref.js';
export { expandHome } from './expand-home.js';

export { ImapRepository, type ImapRepositoryOptions, type PasswordSource } from './repositories/imap.js';
export { parseImapUrl, type ImapServer } from '../core/imap/url.js';
export { MaildirRepository } from './repositories/maildir.js';
export type { MaildirOptions, MaildirLayout, MaildirWarning } from './repositories/maildir-options.js';
export * from './state/index.js';

export { SyncFolder, type SyncFolderOptions, type FolderPairNames } from './engines/sync-folder.js';
export { SyncAccount, type SyncAccountOptions, type AccountReport } from './engines/sync-account.js';
export { emptyFolderReport, failedAccountReport, failedPassReport, reportError, type FolderReport, type FolderProgress, type ReportedError, type SkippedItem } from './engines/folder-report.js';
export { identifyAll, type IdentifyAllOptions } from './engines/identify-all.js';
export { SeenIdentities } from './engines/seen-identities.js';
export { retrying } from './engines/retrying.js';
export { selects, selectsByAge, isSelective, type MessageSelection } from './engines/message-selection.js';
export type { FolderMapSpec, FolderMapRule } from './engines/folder-map.js';
export type { RateLimit } from './engines/rate-limit.js';
export { summarize, skippedItems, exitCodeOf, type RunSummary } from './summary.js';
export type * from './watch/types.js';
export { MAX_REQUEST_BYTES, type ControlRequest, type ControlReply, type ControlResults, type ControlStatus, type ControlOp, type RequestId } from './watch/control-protocol.js';
export { DaemonClient } from './watch/control-client.js';
export { WatchAccount, type WatchAccountOptions, type AccountPass, type ServerWatcher, type LocalWatcher } from './watch/watch-account.js';
export { WatchDaemon, watchTopologies, watchTopology, type SharedWatchOptions } from './watch/daemon.js';
export { Backoff, DEFAULT_BACKOFF, type BackoffOptions } from './watch/backoff.js';
export { systemClock, ResumeDetector, RESUME_GAP_MS, type Clock } from './watch/clock.js';
export { ImapWatch, MAX_IDLE_MS, type ServerWatchRequest, type ServerChanges } from './repositories/imap-watch.js';
export { declareSyncTopology, SHIPPED_PLACEMENT, INLINE_PLACEMENT, type SyncPlacement, type SyncTopology, type SyncTopologySpec, type ActorSpec } from './sync-topology.js';

export { parseSyncPolicy, mirrorPolicy, twoWayPolicy, migratePolicy, type SyncPolicy } from './policy.js';
export { identityFromBody, identityFromMessageId } from '../core/identity.js';
export { makeDirs, makeDirsSync } from '../core/make-dirs.js';
export { registerKnownPasswords } from '../core/imap/password.js';
export { registerSecret, withoutSecrets, REDACTED, printable, forTerminal } from './output.js';

// Tasks in a few long-lived threads (account threads): used as they are.
export { TaskThreads, type TaskThreadsOptions, type RunningTask } from './threads/task-threads.js';
export type { TaskFunction, TaskControl } from './threads/task-protocol.js';

// The runtime is used as it is, never subclassed.
export { Runtime } from '../core/runtime/runtime.js';
export { RepositoryManager, EngineManager, LoggerManager, type ManagerOptions } from '../core/runtime/managers.js';
export type { Backend } from '../core/runtime/topology.js';
export type { SupervisorPolicy } from '../core/runtime/supervisor.js';
// A daemon's control socket: the --watch path calls serveControl(watchControl, { stateDir }).
export { ControlServer, serveControl, type ControlServerOptions, type ControlLogger } from '../core/control/control-server.js';
