// TaskThreads: tasks in a few long-lived threads, several per thread, with
// progress and stop over the thread boundary; a thread that dies fails only
// its tasks and is replaced; what leaves a thread has its secrets redacted.
import { afterEach, describe, expect, it } from 'vitest';
import { TaskThreads, type RunningTask } from '../../src/api/index.js';
import type { CountingInput, CountingProgress } from './fixtures/counting-task.js';

type Result = { name: string; thread: number; said?: string };
const TASK = new URL('./fixtures/counting-task.ts', import.meta.url).href;

let pool: TaskThreads<CountingInput, Result, CountingProgress> | undefined;
afterEach(async () => {
  await pool?.close();
  pool = undefined;
});

/** Waits until every task has counted: each is running in its thread. */
async function counting(tasks: RunningTask<Result, CountingProgress>[]): Promise<CountingProgress[]> {
  for (;;) {
    const progress = await Promise.all(tasks.map((task) => task.progress()));
    if (progress.every((p) => p !== undefined && p.count > 0)) return progress as CountingProgress[];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('TaskThreads', () => {
  it('runs four tasks in two threads, two in each; progress says where each is; stop ends each with its result', async () => {
    pool = new TaskThreads({ task: TASK, threads: 2 });
    const tasks = ['a', 'b', 'c', 'd'].map((name) => pool!.run({ name }));
    const progress = await counting(tasks);
    expect(progress.map((p) => p.name)).toEqual(['a', 'b', 'c', 'd']);
    const threads = new Set(progress.map((p) => p.thread));
    expect(threads.size).toBe(2);
    for (const thread of threads) expect(progress.filter((p) => p.thread === thread)).toHaveLength(2);
    for (const task of tasks) task.stop();
    const results = await Promise.all(tasks.map((task) => task.result));
    expect(results.map((r) => [r.name, r.thread])).toEqual(progress.map((p) => [p.name, p.thread]));
    expect(await tasks[0]!.progress()).toBeUndefined();
  });

  it('a thread that dies fails only its own tasks, with the reason; the next task starts in a new thread', async () => {
    pool = new TaskThreads({ task: TASK, threads: 2 });
    const [a, b, c, d] = [{ name: 'a' }, { name: 'b', crash: true }, { name: 'c' }, { name: 'd' }].map((input) => pool!.run(input));
    // Their handlers are attached now: b's thread may die while a and c are still starting.
    const failures = [b!, d!].map((task) => expect(task.result).rejects.toThrow(/the thread running it died: b threw outside the task/));
    const before = await counting([a!, c!]);
    await Promise.all(failures);
    // a and c share the other thread and go on.
    const after = await Promise.all([a!.progress(), c!.progress()]);
    expect(after.map((p) => p!.count > 0 && p!.thread === before[0]!.thread)).toEqual([true, true]);
    const e = pool.run({ name: 'e' });
    const [fresh] = await counting([e]);
    expect(fresh!.thread).not.toBe(before[0]!.thread);
    for (const task of [a!, c!, e]) task.stop();
    expect((await Promise.all([a!.result, c!.result, e.result])).map((r) => r.name)).toEqual(['a', 'c', 'e']);
  });

  it('redacts the secrets a thread learnt from what it sends back', async () => {
    pool = new TaskThreads({ task: TASK, threads: 1 });
    const task = pool.run({ name: 's', secret: 'hunter2-correct-horse' });
    await counting([task]);
    task.stop();
    expect((await task.result).said).toBe('the password is [redacted]');
  });
});
