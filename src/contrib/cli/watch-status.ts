import { forTerminal } from '../../api/output.js';
import type { AccountWatchStatus, ControlStatus, FolderWatchStatus, PassCounts, ReportedError } from '../../api/index.js';

/**
 * `imapfw ctl status` for people: the daemon, then per account its
 * connection (or the backoff and its next try), last pass and its counts,
 * next pass, last error, and a table of its folders. Times are local, with
 * how far away they are from `now`. Server text reaches the terminal escaped.
 */
export function formatWatchStatus(status: ControlStatus, now = new Date()): string {
  const time = (iso: string | undefined) => (iso === undefined ? '-' : when(iso, now));
  const lines = [
    `imapfw ${status.app} daemon, pid ${status.pid}, running since ${time(status.startedAt)}; socket ${status.socket}`,
    ...(status.paused ? ['PAUSED: no pass starts on a change or a poll until `imapfw ctl resume` (`imapfw ctl sync` still runs one)'] : []),
  ];
  for (const account of status.accounts) {
    lines.push(
      '',
      `account ${account.account}: ${account.remote} <-> ${account.maildir}`,
      `  connection   ${connection(account, time)}`,
      `  last pass    ${account.lastPass ? `${time(account.lastPass.at)}, ${account.lastPass.seconds.toFixed(1)} s: ${counts(account.lastPass.counts)} (exit ${account.lastPass.exitCode})` : 'none yet'}`,
      `  next pass    ${time(account.nextPassAt)}`,
      `  last error   ${account.lastError ? `${time(account.lastError.at)} ${error(account.lastError)}` : '-'}`,
      ...table(['FOLDER', 'WATCH', 'LAST PASS', 'NEXT POLL', 'LAST ERROR'], account.folders.map((folder) => folderRow(folder, time))).map((row) => `  ${row}`),
    );
  }
  return lines.map(forTerminal).join('\n');
}

function connection(account: AccountWatchStatus, time: (iso: string | undefined) => string): string {
  switch (account.connection) {
    case 'backing-off':
      return `backing off (the server could not be reached), next try ${time(account.nextRetryAt)}`;
    case 'login-refused':
      return `LOGIN REFUSED: check the password; next try ${time(account.nextRetryAt)}`;
    default:
      return account.connection;
  }
}

function folderRow(folder: FolderWatchStatus, time: (iso: string | undefined) => string): string[] {
  return [
    folder.name,
    folder.mode,
    folder.lastPass ? `${time(folder.lastPass.at)} ${counts(folder.lastPass.counts)}` : '-',
    folder.mode === 'poll' ? time(folder.nextPollAt) : 'pushed',
    folder.lastError ? `${time(folder.lastError.at)} ${error(folder.lastError)}` : '-',
  ];
}

/** The counts that are not zero ("nothing" when all are). */
function counts(of: PassCounts): string {
  const parts = (
    [
      ['copied', of.copied],
      ['deleted', of.deleted],
      ['flags', of.flagsChanged],
      ['moved', of.moved],
      ['folders created', of.foldersCreated],
      ['folders removed', of.foldersRemoved],
      ['errors', of.errors],
    ] as const
  ).filter(([, n]) => n > 0);
  return parts.length ? parts.map(([name, n]) => `${name} ${n}`).join(', ') : 'nothing to do';
}

function error(of: ReportedError): string {
  return `${of.code ? `[${of.code}] ` : ''}${of.message}`;
}

/** Rows padded into columns; the last column is not padded. */
function table(header: string[], rows: string[][]): string[] {
  const all = [header, ...rows].map((row) => row.map(forTerminal)); // escaped before measured
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column]!.length)));
  return all.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ').trimEnd());
}

/** Local time (the date too when not today) and how far from now: "09:05:00 (in 4m 10s)". */
function when(iso: string, now: Date): string {
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  const clock = `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}`;
  const sameDay = at.toDateString() === now.toDateString();
  const stamp = sameDay ? clock : `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())} ${clock}`;
  const seconds = Math.round((at.getTime() - now.getTime()) / 1000);
  return `${stamp} (${seconds >= 0 ? `in ${span(seconds)}` : `${span(-seconds)} ago`})`;
}

function span(seconds: number): string {
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${seconds % 60}s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ${Math.floor((seconds % 3600) / 60)}m`;
  return `${Math.floor(seconds / 86400)}d ${Math.floor((seconds % 86400) / 3600)}h`;
}
