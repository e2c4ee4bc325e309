// Medians, targets and the Markdown that goes to stdout and bench/results.md.
import type { Run, Tool } from './contenders.js';
import type { MigrationRun } from './migrate.js';
import { MB } from './sizes.js';

/** What issue 11 asks of a scenario; a field left out is not a target. */
export interface Target {
  /** imapfw's median wall time at most this many times mbsync's. */
  wallRatio?: number;
  /** imapfw's median CPU time at most this many times mbsync's. */
  cpuRatio?: number;
  /** imapfw's median wall time at most this many seconds. */
  wallSeconds?: number;
  /** Peak RSS, bytes. */
  rss?: number;
}

export interface ScenarioResult {
  title: string;
  target: Target;
  runs: Record<Tool, Run[]>;
  /** One line per round, e.g. what changed on the server before it. */
  roundNotes: string[];
}

/** The migrate scenario: imapfw alone, one result per --max-connections. */
export interface MigrationResult {
  title: string;
  connections: number;
  target: { messagesPerSecond?: number; rss?: number };
  runs: MigrationRun[];
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const seconds = (s: number) => `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s`;
const megabytes = (bytes: number) => `${Math.round(bytes / MB)} MB`;

interface Medians {
  wall: number;
  cpu: number;
  rss: number;
}

function medians(runs: Run[]): Medians {
  return { wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)), rss: median(runs.map((r) => r.rss)) };
}

/** Which targets the medians miss; empty when all are met. */
function missed(target: Target, ours: Medians, theirs: Medians): string[] {
  return [
    ...((target.wallRatio !== undefined && ours.wall > target.wallRatio * theirs.wall) || (target.wallSeconds !== undefined && ours.wall > target.wallSeconds) ? ['wall'] : []),
    ...(target.cpuRatio !== undefined && ours.cpu > target.cpuRatio * theirs.cpu ? ['CPU'] : []),
    ...(target.rss !== undefined && ours.rss > target.rss ? ['RSS'] : []),
  ];
}

function describeTarget({ wallRatio, cpuRatio, wallSeconds, rss }: Target): string {
  const parts = [
    ...(wallRatio !== undefined ? [`wall ≤ ${wallRatio}×`] : []),
    ...(wallSeconds !== undefined ? [`wall ≤ ${wallSeconds} s`] : []),
    ...(cpuRatio !== undefined ? [`CPU ≤ ${cpuRatio}×`] : []),
    ...(rss !== undefined ? [`RSS ≤ ${megabytes(rss)}`] : []),
  ];
  return parts.length ? parts.join(', ') : '(none)';
}

export function resultsTable(results: ScenarioResult[]): string {
  const rows = [
    '| scenario | imapfw wall | mbsync wall | ratio | imapfw CPU | mbsync CPU | imapfw RSS | mbsync RSS | target | met? |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|---|',
  ];
  for (const result of results) {
    const ours = medians(result.runs.imapfw);
    const theirs = medians(result.runs.mbsync);
    const target = describeTarget(result.target);
    const misses = missed(result.target, ours, theirs);
    rows.push(
      `| ${result.title} | ${seconds(ours.wall)} | ${seconds(theirs.wall)} | ${(ours.wall / theirs.wall).toFixed(2)}× | ` +
        `${seconds(ours.cpu)} | ${seconds(theirs.cpu)} | ${megabytes(ours.rss)} | ${megabytes(theirs.rss)} | ${target} | ` +
        `${target === '(none)' ? '' : misses.length === 0 ? 'yes' : `**no** (${misses.join(', ')})`} |`,
    );
  }
  return rows.join('\n');
}

/** Every run, round by round, with imapfw's own --json summary. */
export function runsSection(results: ScenarioResult[]): string {
  const out: string[] = [];
  const figures = (run: Run) => `${seconds(run.wall)}, ${seconds(run.cpu)} CPU, ${megabytes(run.rss)}`;
  for (const result of results) {
    out.push(`### ${result.title}`, '', '| round | imapfw | mbsync | imapfw --json | before the round |', '|---|---|---|---|---|');
    result.runs.imapfw.forEach((ours, i) => {
      const theirs = result.runs.mbsync[i]!;
      const s = ours.summary;
      const summary = s ? `copied ${s.copied} (${megabytes(s.bytes)}), flags ${s.flagsChanged}, ${s.foldersUnchanged}/${s.folders} folders unchanged, ${seconds(s.seconds)} inside` : '';
      out.push(`| ${i + 1} | ${figures(ours)} | ${figures(theirs)} | ${summary} | ${result.roundNotes[i] ?? ''} |`);
    });
    out.push('');
  }
  return out.join('\n');
}

/** Migrations: median wall, rates over the wall time, CPU and peak RSS, against their targets; every run after. */
export function migrationTable(results: MigrationResult[]): string {
  const rows = ['| migration | wall | messages/s | MB/s | CPU | RSS | target | met? |', '|---|---:|---:|---:|---:|---:|---|---|'];
  for (const result of results) {
    const m = medians(result.runs);
    const s = result.runs[0]!.migrateSummary!;
    const rate = s.transferred / m.wall;
    const { messagesPerSecond, rss } = result.target;
    const misses = [...(messagesPerSecond !== undefined && rate < messagesPerSecond ? ['rate'] : []), ...(rss !== undefined && m.rss > rss ? ['RSS'] : [])];
    const target = [...(messagesPerSecond !== undefined ? [`≥ ${messagesPerSecond.toLocaleString('en')} messages/s`] : []), ...(rss !== undefined ? [`RSS ≤ ${megabytes(rss)}`] : [])].join(', ');
    rows.push(
      `| ${result.title} | ${seconds(m.wall)} | ${Math.round(rate)} | ${(s.bytes / MB / m.wall).toFixed(1)} | ${seconds(m.cpu)} | ${megabytes(m.rss)} | ` +
        `${target} | ${target ? (misses.length === 0 ? 'yes' : `**no** (${misses.join(', ')})`) : ''} |`,
    );
  }
  return rows.join('\n');
}

export function migrationRuns(results: MigrationResult[]): string {
  const out: string[] = [];
  for (const result of results) {
    out.push(`### ${result.title}`, '', '| round | imapfw | --json |', '|---|---|---|');
    result.runs.forEach((run, i) => {
      const s = run.migrateSummary;
      out.push(`| ${i + 1} | ${seconds(run.wall)}, ${seconds(run.cpu)} CPU, ${megabytes(run.rss)} | ${s ? `transferred ${s.transferred} (${megabytes(s.bytes)}), ${seconds(s.seconds)} inside` : ''} |`);
    });
    out.push('');
  }
  return out.join('\n');
}
