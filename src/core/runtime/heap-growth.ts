import { requireOnUse } from '../require-on-use.js';

/**
 * How far a heap may grow past what its last full GC found live before the
 * next one (V8's --heap-growing-percent; by default V8 lets it reach up to
 * about four times the live set). In a mirror of 100,000 messages in 10
 * folders the connections' worker held about 60 MB live and its heap grew to
 * 197 MB, with 70 MB of dead message buffers waiting for that GC; at 50 %
 * (and with less held live) it peaked at 81 MB and 19 MB, the process at 215
 * MB instead of 384 (20 % gave no less: 213 MB). bench/results.md has what
 * it costs in CPU.
 */
const HEAP_GROWING_PERCENT = 50;
let limited = false;

/**
 * Limits heap growth (HEAP_GROWING_PERCENT) in every thread of the process:
 * a V8 flag, process-wide, read at each full GC; set once, before the first
 * worker starts. One given on Node's command line wins (the `imapfw` bin
 * gives it, which spares its runs loading `node:v8` for this).
 */
export function limitHeapGrowth(): void {
  if (limited) return;
  limited = true;
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  (requireOnUse('node:v8') as typeof import('node:v8')).setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
