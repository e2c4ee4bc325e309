import type { AccountReport, ReportedError, SkippedItem } from '../../api/index.js';
import { ExitCode, forTerminal } from '../../api/index.js';

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
  /** True when everything synced: no error, nothing skipped. */
  complete: boolean;
  /** The plan, on a dry run. */
  planned?: string[];
  /** Messages moved between folders to follow a move on the other side (`sync`); absent when no app moves. */
  moved?: number;
  /** Things to know that are not failures (a non-empty folder kept instead of removed); absent when none. */
  warnings?: ReportedError[];
}

export function summarize(reports: AccountReport[], seconds: number, dryRun = false): RunSummary {
  const folders = reports.flatMap((report) => report.folders);
  const sum = (pick: (f: (typeof folders)[number]) => number) => folders.reduce((total, folder) => total + pick(folder), 0);
  const errors = [...reports.flatMap((report) => report.errors), ...folders.flatMap((folder) => folder.errors)];
  const skipped = skippedItems(reports);
  const moves = reports.flatMap((report) => report.moves ?? []);
  const warnings = [...reports.flatMap((report) => report.warnings ?? []), ...folders.flatMap((folder) => folder.warnings)];
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
    complete: errors.length === 0 && skipped.length === 0,
    ...(reports.some((report) => report.moves !== undefined) ? { moved: moves.length } : {}),
    ...(warnings.length ? { warnings } : {}),
    ...(dryRun
      ? {
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

/** The summary's lines for what was skipped: a count, then up to 20 items. `label` is padded to the summary's column. */
export function skippedLines(label: string, skipped: readonly SkippedItem[]): string[] {
  return [
    `${label}${skipped.length}`,
    ...skipped.slice(0, 20).map((item) => `    ${item.folder}${item.id === undefined ? '' : ` (message ${item.id})`}: ${item.reason}`),
    ...(skipped.length > 20 ? [`    ... and ${skipped.length - 20} more`] : []),
  ];
}

/** The summary's lines for the errors: a count, then up to 20 errors. */
export function errorLines(label: string, errors: readonly ReportedError[]): string[] {
  return [
    `${label}${errors.length}`,
    ...errors.slice(0, 20).map((error) => `    ${error.folder ? `${error.folder}: ` : ''}${error.code ? `[${error.code}] ` : ''}${error.message}`),
    ...(errors.length > 20 ? [`    ... and ${errors.length - 20} more`] : []),
  ];
}

/** 0 when complete; else the code of the worst kind of failure (see ExitCode). */
export function exitCodeOf(summary: RunSummary): number {
  if (summary.complete) return ExitCode.OK;
  const codes = new Set(summary.errors.map((error) => error.code));
  if (codes.has('EAUTH')) return ExitCode.AUTH;
  if (codes.has('ENETWORK')) return ExitCode.NETWORK;
  if (codes.has('ESTATELOCKED') || codes.has('ESTATECORRUPT')) return ExitCode.STATE;
  return ExitCode.PARTIAL;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** The final summary for people, like imapsync's: no secret, and no control character from a server reaches the terminal. */
export function formatSummary(title: string, summary: RunSummary, outcome: { complete: string; incomplete: string }): string {
  const rate = summary.seconds > 0 ? `, ${megabytes(summary.bytes / summary.seconds)}/s` : '';
  const lines = [
    title,
    `  folders          ${summary.folders} (${summary.foldersUnchanged} unchanged, ${summary.foldersCreated} created, ${summary.foldersRemoved} removed)`,
    `  copied           ${summary.copied} messages (${megabytes(summary.bytes)}${rate})`,
    `  already there    ${summary.paired} messages paired by identity, not copied`,
    ...(summary.moved !== undefined ? [`  moved            ${summary.moved} messages between folders, following moves on the other side`] : []),
    `  deleted          ${summary.deleted}`,
    `  flags changed    ${summary.flagsChanged}`,
    ...(summary.warnings ? [`  warnings         ${summary.warnings.length}`, ...summary.warnings.slice(0, 20).map((w) => `    ${w.folder ? `${w.folder}: ` : ''}${w.message}`)] : []),
    ...skippedLines('  skipped          ', summary.skipped),
    ...errorLines('  errors           ', summary.errors),
    `  time             ${summary.seconds.toFixed(1)} s`,
    `  result           ${summary.complete ? outcome.complete : outcome.incomplete}`,
  ];
  if (summary.planned) lines.push('', 'dry run: nothing was changed. Planned:', ...summary.planned.map((line) => `  ${line}`));
  return lines.map(forTerminal).join('\n');
}
