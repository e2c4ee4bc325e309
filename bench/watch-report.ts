// The watch scenario's table (issue 12's targets, each met or missed) and its
// section of bench/results.md, written in place so the other tables stay.
import { median } from './report.js';
import { MB } from './sizes.js';
import type { WatchResult } from './watch.js';

export const WATCH_HEADING = '## Daemon (`--watch`)';

/** The value at quantile `q` (nearest rank). */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
}

const ms = (s: number) => `${Math.round(s * 1000)} ms`;
const mb = (bytes: number) => `${Math.round(bytes / MB)} MB`;
const met = (ok: boolean) => (ok ? 'yes' : '**no**');

export function watchTable(result: WatchResult): string {
  const { push, flags, idle, memory, handOffs, nodeStarts } = result;
  const idlePercent = (100 * idle.cpuSeconds) / idle.seconds;
  const growth = memory.late.peak / memory.early.peak - 1;
  const rows = [
    '| measure | result | target | met? |',
    '|---|---:|---|---|',
    `| server → Maildir (\`mirror --watch\`), ${push.length} spaced deliveries: p95 (median, max) | ${ms(quantile(push, 0.95))} (${ms(median(push))}, ${ms(Math.max(...push))}) | p95 ≤ 1 s | ${met(quantile(push, 0.95) <= 1)} |`,
    `| local flag change → server (\`sync --watch\`), ${flags.length} spaced: p95 (median, max) | ${ms(quantile(flags, 0.95))} (${ms(median(flags))}, ${ms(Math.max(...flags))}) | p95 ≤ 1 s | ${met(quantile(flags, 0.95) <= 1)} |`,
    `| idle CPU (\`sync --watch\`), average over ${Math.round(idle.seconds)} s | ${idlePercent.toFixed(2)} % of one core (${idle.cpuSeconds.toFixed(2)} s) | < 0.5 % | ${met(idlePercent < 0.5)} |`,
    `| peak RSS (\`mirror --watch\`) after ${memory.cycles} change cycles vs after ${Math.min(10, memory.cycles)} | ${mb(memory.late.peak)} vs ${mb(memory.early.peak)} (${growth >= 0 ? '+' : ''}${(100 * growth).toFixed(1)} %; now ${mb(memory.late.now)}) | ≤ +10 %, ≤ 150 MB | ${met(growth <= 0.1 && memory.late.peak <= 150 * MB)} |`,
    `| one-shot \`imapfw sync\` handed to the daemon, nothing to do: median of ${handOffs.length} (min, max) | ${ms(median(handOffs))} (${ms(Math.min(...handOffs))}, ${ms(Math.max(...handOffs))}; \`node -e 0\` alone: ${ms(median(nodeStarts))}) | ≤ 0.3 s | ${met(median(handOffs) <= 0.3)} |`,
  ];
  return rows.join('\n');
}

/** The section's text: when and how it was measured, the table, and what each figure is. */
export function watchSection(result: WatchResult, argv: string[], corpora: string[]): string {
  return `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench -- ${argv.join(' ')}\` (Node ${process.version},
a loopback Dovecot with NOTIFY, the compiled imapfw in dist/), on the main corpus (${corpora.join('; ')}) mirrored once
(set-up, not measured); imapfw alone (mbsync has no daemon).

${watchTable(result)}

- Push: an APPEND to INBOX every 1-2 s; from the APPEND sent to its file in the Maildir (inotify on cur/ and new/).
- Flags: a random INBOX message's file in cur/ renamed with F added or removed every 1-2 s; from the rename to the
  server's FETCH FLAGS showing it (polled every 20 ms over a connection of the bench's own).
- Idle: utime + stime of the daemon's process (/proc/PID/stat, every thread) over the interval, nothing changing.
- RSS: VmHWM of the daemon's process (/proc/PID/status); a change cycle delivers a message to INBOX and expunges
  the last cycle's, then waits until the Maildir shows both.
- Hand-off: \`imapfw sync --json\` of the daemon's account, wall time of the whole process; it succeeds only through
  the daemon (which holds the account's lock), and each found nothing to do. Before each, \`node -e 0\` is timed
  the same way: Node's own start-up at that moment, which no imapfw change can cut.`;
}
