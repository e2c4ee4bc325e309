import { parentPort, workerData } from 'node:worker_threads';
import { withoutSecrets } from '../../core/output/secrets.js';
import type { MainToTaskThread, TaskFunction, TaskThreadToMain } from './task-protocol.js';

/**
 * Entry of a task thread (see TaskThreads; loaded by bin/worker-boot.mjs):
 * imports the task module once, then runs every task the main thread sends,
 * several at once, each until it returns. What leaves the thread (results,
 * errors, progress) has every secret this thread learnt redacted: the main
 * thread may print it before it hears of the secret. An uncaught exception
 * or unhandled rejection ends the thread (and every task on it) after
 * telling the main thread why.
 */
const port = parentPort!;
const post = (message: TaskThreadToMain) => port.postMessage(message);

function dying(error: unknown): void {
  post({ type: 'dying', message: withoutSecrets(error instanceof Error ? error.message : String(error)) });
  setImmediate(() => process.exit(1));
}
process.on('uncaughtException', dying);
process.on('unhandledRejection', dying);

const { task } = (workerData as { imapfw: { task: string } }).imapfw;
const run = ((await import(task)) as { default: TaskFunction<unknown> }).default;
const running = new Map<number, { abort: AbortController; report?: () => unknown }>();

port.on('message', (message: MainToTaskThread) => {
  if (message.type === 'run') void start(message.id, message.input);
  else if (message.type === 'stop') running.get(message.id)?.abort.abort();
  else void answer(message.id, message.ask);
});

async function start(id: number, input: unknown): Promise<void> {
  const entry: { abort: AbortController; report?: () => unknown } = { abort: new AbortController() };
  running.set(id, entry);
  try {
    const result = await run(input, { signal: entry.abort.signal, onProgress: (report) => (entry.report = report) });
    post({ type: 'done', id, result: redacted(result) });
  } catch (error) {
    post({ type: 'failed', id, error: { message: withoutSecrets(error instanceof Error ? error.message : String(error)) } });
  } finally {
    running.delete(id);
  }
}

async function answer(id: number, ask: number): Promise<void> {
  const report = running.get(id)?.report;
  const value = report ? await Promise.resolve(report()).catch(() => undefined) : undefined;
  post({ type: 'progress', id, ask, value: redacted(value) });
}

/** A copy of `value` with every known secret removed from its strings (arrays and plain objects walked; other values as they are). */
function redacted(value: unknown): unknown {
  if (typeof value === 'string') return withoutSecrets(value);
  if (Array.isArray(value)) return value.map(redacted);
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redacted(v)]));
  }
  return value;
}
