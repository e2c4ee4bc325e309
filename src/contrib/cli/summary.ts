import { ExitCode } from '../../api/exit-codes.js';
import type { ReportedError, SkippedItem } from '../../api/index.js';
import { forTerminal } from '../../api/output.js';
import { exitCodeOf, type RunSummary } from '../../api/summary.js';

// The summary's data is the API's (a running daemon hands it over too); its text for people is here.
export { summarize, skippedItems, exitCodeOf, type RunSummary } from '../../api/summary.js';

/** The summary's lines for what was skipped: a count, then up to 20 items. `label` is padded to the summary's column. */
export function skippedLines(label: string, skipped: readonly SkippedItem[]): string[] {
  return [
    `${label}${skipped.length}`,
    ...skipped.slice(0, 20).map((item) => `    ${item.folder}${item.id === undefined ? '' : ` (message ${item.id})`}: ${item.reason}`),
    ...(skipped.length > 20 ? [`    ... and ${skipped.length - 20} more`] : []),
  ];
}

/**
 * The summary's lines for the errors: a count, then up to 20 of them. One cause met by several folders (a full
 * disk, a dropped connection) is one line naming them all.
 */
export function errorLines(label: string, errors: readonly ReportedError[]): string[] {
  const causes = new Map<string, { folders: string[]; error: ReportedError }>();
  for (const error of errors) {
    const key = `${error.code ?? ''}\n${error.message}`;
    const cause = causes.get(key) ?? { folders: [], error };
    if (error.folder && !cause.folders.includes(error.folder)) cause.folders.push(error.folder);
    causes.set(key, cause);
  }
  const lines = [...causes.values()].map(({ folders, error }) => `    ${folders.length ? `${folders.join(', ')}: ` : ''}${error.code ? `[${error.code}] ` : ''}${error.message}`);
  return [`${label}${errors.length}`, ...lines.slice(0, 20), ...(lines.length > 20 ? [`    ... and ${lines.length - 20} more`] : [])];
}

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** What an incomplete run's result says: what to do first when running again alone will not help (the exit code's cause). */
function incomplete(summary: RunSummary, text: string): string {
  if (summary.interrupted && summary.errors.length === 0) return 'INTERRUPTED: what was done is kept; run again to finish (nothing is lost or duplicated)';
  // Only skipped items: each says why and what to do; running again alone does not help every one of them.
  if (summary.errors.length === 0 && summary.skipped.length > 0 && !summary.interrupted) {
    return `INCOMPLETE: ${summary.skipped.length} skipped (each with why and what to do, above); everything else is done`;
  }
  if (summary.errors.some((error) => error.code === 'ENOSPACE')) return 'INCOMPLETE: a local disk is full or read-only (see the errors for which); fix it, then run again (what was copied is kept)';
  switch (exitCodeOf(summary)) {
    case ExitCode.AUTH:
      return 'INCOMPLETE: a login was refused; fix the user name, password or token (see the errors), then run again';
    case ExitCode.STATE:
      return 'INCOMPLETE: the state is in use by another run or unreadable (see the errors); run again once that run ended, or with --rebuild-state';
    case ExitCode.USAGE:
      return 'INCOMPLETE: a setting is wrong (see the errors); fix it, then run again';
    default:
      return text;
  }
}

/** The final summary for people, like imapsync's: no secret, and no control character from a server reaches the terminal. */
export function formatSummary(title: string, summary: RunSummary, outcome: { complete: string; incomplete: string }): string {
  // A dry run's counts are what a run would do: worded so, with no rate, and a result line of its own.
  const dry = summary.dryRun === true;
  const done = (past: string, planned: string) => (dry ? planned : past);
  const rate = summary.seconds > 0 && !dry ? `, ${megabytes(summary.bytes / summary.seconds)}/s` : '';
  const result =
    dry && summary.errors.length === 0
      ? `dry run: nothing was changed; ${summary.planned?.length ? 'the plan is below' : 'there is nothing to do'}`
      : summary.complete
        ? outcome.complete
        : incomplete(summary, outcome.incomplete);
  const lines = [
    title,
    row('folders', `${summary.folders} (${summary.foldersUnchanged} unchanged, ${summary.foldersCreated} ${done('created', 'to create')}, ${summary.foldersRemoved} ${done('removed', 'to remove')})`),
    row(done('copied', 'to copy'), `${summary.copied} messages (${megabytes(summary.bytes)}${rate})`),
    row('already there', `${summary.paired} messages on both sides, paired instead of copied`),
    ...(summary.moved !== undefined ? [row(done('moved', 'to move'), `${summary.moved} messages between folders, following moves on the other side`)] : []),
    row(done('deleted', 'to delete'), `${summary.deleted}`),
    row(done('flags changed', 'flags to change'), `${summary.flagsChanged}`),
    ...(summary.warnings ? [row('warnings', `${summary.warnings.length}`), ...summary.warnings.slice(0, 20).map((w) => `    ${w.folder ? `${w.folder}: ` : ''}${w.message}`)] : []),
    ...(summary.keptFolders
      ? [row('kept folders', `${summary.keptFolders.map((kept) => kept.replace(/^(left|right):(.*)$/, '$2 ($1)')).join(', ')}: deleted on the other side since an earlier run; kept, and no longer synced`)]
      : []),
    ...skippedLines(row('skipped', ''), summary.skipped),
    ...errorLines(row('errors', ''), summary.errors),
    row('time', `${summary.seconds.toFixed(1)} s`),
    row('result', result),
  ];
  if (summary.planned?.length) lines.push('', 'planned:', ...summary.planned.map((line) => `  ${line}`));
  return lines.map(forTerminal).join('\n');
}

/** A summary line: its label in a column of its own. */
function row(label: string, value: string): string {
  return `  ${label.padEnd(17)}${value}`;
}
