import type { AccountReport } from './engines/sync-account.js';
import { ExitCode } from './exit-codes.js';
import type { ReportedError, SkippedItem } from './engines/folder-report.js';

/** The totals of one or more account runs: what `--json` prints. */
export interface RunSummary {
  folders: number;
  foldersUnchanged: number;
  foldersCreated: number;
  foldersRemoved: number;
  copied: number;
  paired: number;
  deleted: number;
  flagsChanged: number;
  bytes: number;
  seconds: number;
  errors: ReportedError[];
  /** Folders and messages left out, each with the reason: the run is not complete while any is. */
  skipped: SkippedItem[];
  /** True when everything synced: no error, nothing skipped, not interrupted. */
  complete: boolean;
  /** The run was stopped early (SIGINT, SIGTERM): what it did is kept, and the next run does the rest. */
  interrupted?: boolean;
  /** A dry run: the counts are what a run would do, and nothing was changed. */
  dryRun?: true;
  /** The plan, on a dry run. */
  planned?: string[];
  /** Messages moved between folders to follow a move on the other side (`sync`; `mirror`: a folder renamed or messages moved on the server); absent when no app moves. */
  moved?: number;
  /** Things to know that are not failures (a non-empty folder kept instead of removed); absent when none. */
  warnings?: ReportedError[];
  /** Folders deleted on one side since an earlier run and kept on the other ('left:Name'), which are no longer synced; absent when none. */
  keptFolders?: string[];
}

export function summarize(reports: AccountReport[], seconds: number, dryRun = false): RunSummary {
  const folders = reports.flatMap((report) => report.folders);
  const sum = (pick: (f: (typeof folders)[number]) => number) => folders.reduce((total, folder) => total + pick(folder), 0);
  const errors = [...reports.flatMap((report) => report.errors), ...folders.flatMap((folder) => folder.errors)];
  const skipped = skippedItems(reports);
  const moves = reports.flatMap((report) => report.moves ?? []);
  const warnings = [...reports.flatMap((report) => report.warnings ?? []), ...folders.flatMap((folder) => folder.warnings)];
  const keptFolders = reports.flatMap((report) => report.keptFolders);
  const interrupted = reports.some((report) => report.interrupted) || folders.some((folder) => folder.interrupted);
  return {
    folders: folders.length,
    foldersUnchanged: folders.filter((folder) => folder.unchanged).length,
    foldersCreated: reports.reduce((n, report) => n + report.createdFolders.length, 0),
    foldersRemoved: reports.reduce((n, report) => n + report.removedFolders.length, 0),
    copied: sum((f) => f.copied.left + f.copied.right),
    paired: sum((f) => f.paired),
    deleted: sum((f) => f.deleted.left + f.deleted.right),
    flagsChanged: sum((f) => f.flagsChanged.left + f.flagsChanged.right),
    bytes: sum((f) => f.bytes),
    seconds,
    errors,
    skipped,
    complete: errors.length === 0 && skipped.length === 0 && !interrupted,
    ...(interrupted ? { interrupted } : {}),
    ...(reports.some((report) => report.moves !== undefined) ? { moved: moves.length } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(keptFolders.length ? { keptFolders } : {}),
    ...(dryRun
      ? {
          dryRun: true as const,
          planned: [
            ...reports.flatMap((report) => report.createdFolders.map((folder) => `create folder ${folder}`)),
            ...reports.flatMap((report) => report.removedFolders.map((folder) => `remove folder ${folder}`)),
            ...moves,
            ...folders.flatMap((folder) => folder.planned.map((line) => `${folder.left}: ${line}`)),
          ],
        }
      : {}),
  };
}

/** Everything the accounts' runs left out: outside any folder's sync first, then folder by folder. */
export function skippedItems(reports: readonly AccountReport[]): SkippedItem[] {
  return reports.flatMap((report) => [...report.skipped, ...report.folders.flatMap((folder) => folder.skipped)]);
}

/** 0 when complete; else the code of the worst kind of failure (see ExitCode). */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.complete) return ExitCode.OK;
  const codes = new Set(summary.errors.map((error) => error.code));
  if (codes.has('EAUTH')) return ExitCode.AUTH;
  if (codes.has('ENETWORK')) return ExitCode.NETWORK;
  if (codes.has('ESTATELOCKED') || codes.has('ESTATECORRUPT')) return ExitCode.STATE;
  if (codes.has('ECONFIG')) return ExitCode.USAGE;
  return ExitCode.PARTIAL;
}

