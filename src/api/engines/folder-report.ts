import { RuntimeError } from '../errors.js';
import type { Side } from '../types.js';
import type { AccountReport } from './sync-account.js';

/** What the sync of one folder pair did. Plain data: it crosses threads. */
export interface FolderReport {
  left: string;
  right: string;
  /** Nothing changed on either side since the last run: not even listed. */
  unchanged: boolean;
  /** Messages copied, by the side they were copied to. */
  copied: Record<Side, number>;
  /** Messages found on both sides and paired (by identity, or as another tool's record has them) instead of copied. */
  paired: number;
  /** Messages deleted, by side. */
  deleted: Record<Side, number>;
  /** Messages whose flags changed, by side. */
  flagsChanged: Record<Side, number>;
  /** Bytes of message bodies copied. */
  bytes: number;
  /** Human lines of the plan, on a dry run. */
  planned: string[];
  /** One entry per failure; empty when the folder fully synced. */
  errors: ReportedError[];
  /** What was left out of this folder's sync and why (a message whose body came back empty, ...); the run is then not complete. */
  skipped: SkippedItem[];
  /** What the user should know that is not a failure (flags a side cannot hold, kept on the other side). */
  warnings: ReportedError[];
  /** The sync stopped early on an interrupt (SyncFolder.interrupt): what it did is kept, the next run does the rest. */
  interrupted?: boolean;
  seconds: number;
}

/**
 * A folder or message left out of a run, and why: the run is not complete
 * while anything is skipped, and the user sees each item in the summary and
 * in `--json`. Plain data: it crosses threads.
 */
export interface SkippedItem {
  /** The folder, by its canonical name ('/'-separated) on the side it was found. */
  folder: string;
  /** The message's id (a UID, a Maildir unique name) when one message was skipped, not the whole folder. */
  id?: string;
  /** What the user should know: why it was skipped and what to do about it. */
  reason: string;
}

/** A failure as reports carry it: its code (see errors.ts) and what to tell the user. */
export interface ReportedError {
  folder?: string;
  code?: string;
  message: string;
}

export function reportError(error: unknown, folder?: string): ReportedError {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    ...(folder === undefined ? {} : { folder }),
    ...(typeof code === 'string' ? { code } : {}),
    message: error instanceof Error ? error.message : String(error),
  };
}

/**
 * Adds failures to `errors`, each once: the batches of one folder's copies
 * (its own and those idle engines borrowed) that fail for one cause, a full
 * disk or a dropped connection, report it once.
 */
export function addErrors(errors: ReportedError[], ...failures: readonly ReportedError[]): void {
  for (const failure of failures) {
    if (!errors.some((known) => known.folder === failure.folder && known.code === failure.code && known.message === failure.message)) errors.push(failure);
  }
}

/** True for an error that ends the whole account (the login refused, the connection lost); any other fails one folder only. */
export function endsAccount(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'EAUTH' || code === 'ENETWORK' || code === 'ENOSPACE';
}

/**
 * Records that one folder failed, in `report`: a name the store cannot hold
 * (EFOLDERNAME) as skipped, with the reason; anything else as an error.
 * Rethrows an error that ends the whole account, after recording it.
 */
export function recordFolderFailure(error: unknown, folder: string, report: { errors: ReportedError[]; skipped: SkippedItem[] }): void {
  const failure = reportError(error, folder);
  if (failure.code === 'EFOLDERNAME') report.skipped.push({ folder, reason: failure.message });
  else addErrors(report.errors, failure);
  if (endsAccount(error)) throw error;
}

export function emptyFolderReport(left: string, right: string): FolderReport {
  return {
    left,
    right,
    unchanged: false,
    copied: { left: 0, right: 0 },
    paired: 0,
    deleted: { left: 0, right: 0 },
    flagsChanged: { left: 0, right: 0 },
    bytes: 0,
    planned: [],
    errors: [],
    skipped: [],
    warnings: [],
    seconds: 0,
  };
}

/** Where a folder's sync stands, for progress bars. */
export interface FolderProgress {
  folder: string;
  /** Messages to copy in this folder, and copied so far. */
  total: number;
  done: number;
  bytes: number;
}

/**
 * The report of an account pass that threw. After a signal (`interrupted`), a
 * runtime stopped under it (a second signal) is no failure: what the pass did
 * is kept, but not known here, and the report says `interrupted`. Otherwise,
 * the failed account's report (failedAccountReport).
 */
export function failedPassReport(error: unknown, interrupted: boolean, context = ''): AccountReport {
  if (interrupted && error instanceof RuntimeError) return { folders: [], createdFolders: [], removedFolders: [], keptFolders: [], errors: [], skipped: [], seconds: 0, interrupted: true };
  return failedAccountReport(error, context);
}

/** The report of an account that failed as a whole (a refused login, an unreachable server): its one error, `context` in front of its message. */
export function failedAccountReport(error: unknown, context = ''): AccountReport {
  const failure = reportError(error);
  return { folders: [], createdFolders: [], removedFolders: [], keptFolders: [], errors: [{ ...failure, message: `${context}${failure.message}` }], skipped: [], seconds: 0 };
}
