import type { ReportedError } from '../engines/folder-report.js';
import type { RunSummary } from '../summary.js';

/**
 * The seam between a running daemon (`--watch`) and whatever steers it (the
 * control socket, `imapfw ctl`, a user's own code). Plain data everywhere:
 * every value here can be written as JSON. Times are ISO 8601 strings (UTC).
 */

/** What a pass did, as the one-shot apps print it (`--json`), and the exit code the same one-shot run would have given. */
export interface PassSummary {
  summary: RunSummary;
  exitCode: number;
}

/** The counts of a pass, for status and `--on-change`. */
export interface PassCounts {
  copied: number;
  deleted: number;
  flagsChanged: number;
  moved: number;
  foldersCreated: number;
  foldersRemoved: number;
  errors: number;
}

export interface LastPass {
  /** When the pass ended. */
  at: string;
  seconds: number;
  counts: PassCounts;
  exitCode: number;
}

/**
 * How the daemon stands with an account's server:
 * - 'connected': the last attempt reached the server;
 * - 'backing-off': it could not; the next try is at `nextRetryAt`;
 * - 'login-refused': the server refused the login; retried at the longest interval (`nextRetryAt`);
 * - 'starting': the first pass has not ended yet.
 */
export type ConnectionState = 'starting' | 'connected' | 'backing-off' | 'login-refused';

/** How the daemon hears about a server folder's changes. */
export type FolderWatchMode = 'notify' | 'idle' | 'poll';

export interface FolderWatchStatus {
  /** The folder's canonical name (the server side's). */
  name: string;
  mode: FolderWatchMode;
  /** The last pass that synced this folder. */
  lastPass?: { at: string; counts: PassCounts };
  /** When this folder is next checked (mode 'poll'). */
  nextPollAt?: string;
  lastError?: ReportedError & { at: string };
}

export interface AccountWatchStatus {
  /** The account's name (names its state database). */
  account: string;
  /** The server, as given (`imaps://user@host`), and the Maildir. */
  remote: string;
  maildir: string;
  connection: ConnectionState;
  /** Set while 'backing-off' or 'login-refused'. */
  nextRetryAt?: string;
  /** The next periodic pass (the safety net). */
  nextPassAt?: string;
  lastPass?: LastPass;
  lastError?: ReportedError & { at: string };
  folders: FolderWatchStatus[];
}

export interface WatchStatus {
  /** The shipped app ('mirror', 'sync') or the user's app name. */
  app: string;
  pid: number;
  startedAt: string;
  paused: boolean;
  accounts: AccountWatchStatus[];
}

/**
 * A running daemon, as the control socket (and any other steering code) sees
 * it. One per process, serving every account of the process.
 */
export interface WatchControl {
  status(): WatchStatus;
  /**
   * Runs a pass now on every account (only those `folders`, canonical names,
   * when given), after the pass in progress if any; resolves with its summary
   * and exit code. While paused, it runs anyway (an explicit request).
   */
  syncNow(folders?: string[]): Promise<PassSummary>;
  /** No pass starts until resume(); the pass in progress finishes. */
  pause(): void;
  resume(): void;
  /** Finishes the writes in flight, releases the locks, ends the daemon's loops; resolves when done. */
  stop(): Promise<void>;
}

/**
 * Started by the `--watch` command once the daemon runs (the control socket
 * server); returns what stops it. `stateDir` is the run's `--state-dir`
 * (undefined: the default), `accounts` the names of the accounts served.
 */
export type WatchControlServer = (control: WatchControl, where: { stateDir?: string; accounts: string[] }) => Promise<{ close(): Promise<void> }>;
