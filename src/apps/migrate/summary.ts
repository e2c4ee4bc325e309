import { ExitCode } from '../../api/exit-codes.js';
import { forTerminal } from '../../api/output.js';
import type { AccountReport, ReportedError, SkippedItem } from '../../api/index.js';
import { errorLines, exitCodeOf, skippedLines, summarize } from '../../contrib/cli/summary.js';
import type { MigrateFolderReport } from './migrate-folder.js';

/** What `--json` prints, and, per account, what a --batch results line holds. */
export interface MigrateSummary {
  folders: number;
  foldersCreated: number;
  /** Messages copied by this run, their bytes, and the rate over the run's wall time. */
  transferred: number;
  bytes: number;
  seconds: number;
  messagesPerSecond: number;
  bytesPerSecond: number;
  /** Found on the target by identity and paired instead of copied (another tool, or an interrupted run, put them there). */
  alreadyPresent: number;
  /** Selected source messages this run did not have to copy: migrated by an earlier run or already present. */
  alreadyMigrated: number;
  /** Source messages left out by --max-age, --min-age or --max-size. */
  notSelected: number;
  /** Selected source messages checked on the target by identity, found there, missing. */
  verified: { selected: number; present: number; missing: number };
  /** Messages sharing their identity with another of the same folder, beyond the first. */
  duplicates: { source: number; target: number };
  /** Selected source messages without a Message-ID (identified by a body hash). */
  withoutMessageId: number;
  /** Source messages deleted after they were found on the target (--delete-source). */
  deletedFromSource: number;
  flagsChanged: number;
  errors: ReportedError[];
  /** Folders and messages left out, each with the reason (a folder name the target refuses, ...): the migration is then not complete. */
  skipped: SkippedItem[];
  /** True when every selected source message was found on the target, nothing failed and nothing was skipped. */
  complete: boolean;
  /** Stopped early by SIGINT or SIGTERM: what was copied is kept (unverified), and the same command does the rest. */
  interrupted?: boolean;
  dryRun: boolean;
  /** The plan, on a dry run: folders to create, then per folder pair what would be copied. */
  planned?: string[];
}

export function summarizeMigration(reports: AccountReport[], seconds: number, options: { dryRun: boolean; justFolders: boolean }): MigrateSummary {
  const base = summarize(reports, seconds);
  const folders = reports.flatMap((report) => report.folders as MigrateFolderReport[]);
  const sum = (pick: (folder: MigrateFolderReport) => number) => folders.reduce((total, folder) => total + pick(folder), 0);
  const verified = {
    selected: sum((f) => f.verification?.selected ?? 0),
    present: sum((f) => f.verification?.present ?? 0),
    missing: sum((f) => f.verification?.missing ?? 0),
  };
  const transferred = sum((f) => f.copied.right);
  // A folder that failed before its check was not verified: it cannot count as complete.
  const unverified = !options.dryRun && !options.justFolders && folders.some((folder) => !folder.verification);
  return {
    folders: base.folders,
    foldersCreated: base.foldersCreated,
    transferred,
    bytes: base.bytes,
    seconds,
    messagesPerSecond: seconds > 0 ? transferred / seconds : 0,
    bytesPerSecond: seconds > 0 ? base.bytes / seconds : 0,
    alreadyPresent: base.paired,
    alreadyMigrated: Math.max(0, verified.present - transferred - base.paired),
    notSelected: sum((f) => f.verification?.notSelected ?? 0),
    verified,
    duplicates: { source: sum((f) => f.verification?.duplicates.source ?? 0), target: sum((f) => f.verification?.duplicates.target ?? 0) },
    withoutMessageId: sum((f) => f.verification?.withoutMessageId ?? 0),
    deletedFromSource: sum((f) => f.deleted.left),
    flagsChanged: base.flagsChanged,
    errors: base.errors,
    skipped: base.skipped,
    complete: base.complete && verified.missing === 0 && !unverified && !options.dryRun,
    ...(base.interrupted ? { interrupted: true } : {}),
    dryRun: options.dryRun,
    ...(options.dryRun
      ? {
          planned: [
            ...reports.flatMap((report) => report.createdFolders.map((folder) => `create folder ${folder.replace(/^right:/, '')} on the target`)),
            ...folders.map((f) => `${f.left} -> ${f.right}: ${f.copied.right} to copy, ${f.paired} already on the target${f.flagsChanged.right ? `, ${f.flagsChanged.right} flag updates` : ''}`),
          ],
        }
      : {}),
  };
}

/** 0 only when complete; a dry run without errors and with nothing skipped is 0 too. */
export function migrateExitCode(summary: MigrateSummary): number {
  if (summary.errors.length === 0 && summary.skipped.length === 0 && (summary.complete || summary.dryRun)) return ExitCode.OK;
  // The worst kind of error decides (auth, network, state), as in every app; else partial.
  return exitCodeOf({ ...summarize([], 0), errors: summary.errors, complete: false });
}

/** The one line that says whether the migration is complete. */
export function outcomeLine(summary: MigrateSummary, justFolders = false): string {
  if (summary.dryRun) return summary.errors.length ? 'DRY RUN with errors: nothing was changed; see the errors above' : 'dry run: nothing was changed on either server';
  if (justFolders) return summary.errors.length ? 'INCOMPLETE: some folders could not be created; run again' : 'complete: the folders exist on the target (--just-folders: no message copied)';
  if (summary.complete) return `COMPLETE: all ${summary.verified.selected} selected source messages are on the target (checked by identity)`;
  if (summary.errors.some((error) => error.code === 'ECONFIG')) return 'REFUSED: the command is wrong (see the errors above); fix it before running again';
  if (summary.interrupted && summary.errors.length === 0) return 'INTERRUPTED: what was copied is kept; run the same command again to finish (nothing is copied twice)';
  const missing = summary.verified.missing ? `${summary.verified.missing} message(s) missing on the target, ` : '';
  const skipped = summary.skipped.length ? `${summary.skipped.length} skipped, ` : '';
  return `INCOMPLETE: ${missing}${skipped}${summary.errors.length} error(s); run the same command again (nothing is copied twice)`;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** The final summary for people, like imapsync's (no secret, no control character); `extra` lines go before the result line, `outcome` replaces it. */
export function formatMigrationSummary(title: string, summary: MigrateSummary, options: { justFolders?: boolean; extra?: string[]; outcome?: string } = {}): string {
  const lines = [
    title,
    `  folders              ${summary.folders} (${summary.foldersCreated} created on the target)`,
    summary.dryRun
      ? `  to transfer          ${summary.transferred} messages`
      : `  transferred          ${summary.transferred} messages, ${megabytes(summary.bytes)} in ${summary.seconds.toFixed(1)} s (${summary.messagesPerSecond.toFixed(1)} msg/s, ${megabytes(summary.bytesPerSecond)}/s)`,
    `  already on target    ${summary.alreadyPresent} found by identity, not copied`,
    `  migrated before      ${summary.alreadyMigrated}`,
    `  not selected         ${summary.notSelected} (outside --max-age/--min-age/--max-size)`,
    // A dry run checks nothing on the target.
    ...(summary.dryRun
      ? []
      : [
          `  verified             ${summary.verified.present} of ${summary.verified.selected} selected source messages found on the target, ${summary.verified.missing} missing`,
          `  duplicates           ${summary.duplicates.source} on the source, ${summary.duplicates.target} on the target (same identity in one folder)`,
          `  without Message-ID   ${summary.withoutMessageId} (identified by a hash of the message)`,
        ]),
    ...(summary.deletedFromSource ? [`  deleted on source    ${summary.deletedFromSource} (each found on the target first)`] : []),
    `  flags updated        ${summary.flagsChanged}`,
    ...skippedLines('  skipped              ', summary.skipped),
    ...errorLines('  errors               ', summary.errors),
    ...(options.extra ?? []),
    `  result               ${options.outcome ?? outcomeLine(summary, options.justFolders)}`,
  ];
  if (summary.planned) lines.push('', 'dry run: nothing was changed. Planned:', ...summary.planned.map((line) => `  ${line}`));
  return lines.map(forTerminal).join('\n');
}
