import { Worker } from 'node:worker_threads';
import { bootSpec, sibling, WORKER_RESOURCE_LIMITS } from '../../core/runtime/backends/boot.js';
import { RuntimeError } from '../errors.js';
import type { MainToTaskThread, TaskThreadToMain } from './task-protocol.js';

export interface TaskThreadsOptions {
  /** URL of the task module: its default export is a TaskFunction, imported once per thread. */
  task: string;
  /** Threads at most; started as tasks come, each hosting several tasks at once. */
  threads: number;
  /** Other modules the tasks import by URL (a user's app): TypeScript source among them makes each thread load tsx first. */
  imports?: string[];
}

/** A task sent to a thread: its result, how far it is, and a way to stop it. */
export interface RunningTask<Result, Progress> {
  /** The task function's result; rejects with its error, or with a RuntimeError when its thread died. */
  result: Promise<Result>;
  /** What the task's progress report says now (undefined before it set one, or once it ended). */
  progress(): Promise<Progress | undefined>;
  /** Aborts the task's signal: it stops cleanly and its result comes as usual. */
  stop(): void;
}

interface Pending {
  resolve(result: unknown): void;
  reject(error: Error): void;
  asks: Map<number, (value: unknown) => void>;
}

/** One thread: its worker, the tasks it hosts, and why it died if it did. */
interface TaskThread {
  worker: Worker;
  tasks: Map<number, Pending>;
  death?: string;
}

/**
 * Runs tasks in a few long-lived threads: up to `threads` of them, each
 * hosting several tasks at once (a task goes to the least busy thread), so a
 * task module's imports are paid once per thread, not once per task. A task
 * that fails fails alone; a thread that dies (an uncaught exception) fails
 * only the tasks it hosted, and the next task starts a thread in its place.
 * Messages between the main thread and a task (input, result, progress,
 * stop) are structured clones.
 */
export class TaskThreads<Input, Result, Progress = unknown> {
  private readonly threads: TaskThread[] = [];
  private nextId = 0;
  private nextAsk = 0;

  constructor(private readonly options: TaskThreadsOptions) {}

  run(input: Input): RunningTask<Result, Progress> {
    const thread = this.pick();
    const id = this.nextId++;
    const result = new Promise<Result>((resolve, reject) => {
      thread.tasks.set(id, { resolve: resolve as (result: unknown) => void, reject, asks: new Map() });
    });
    this.send(thread, { type: 'run', id, input });
    return {
      result,
      progress: () =>
        new Promise<Progress | undefined>((resolve) => {
          const pending = thread.tasks.get(id);
          if (!pending) return resolve(undefined);
          const ask = this.nextAsk++;
          pending.asks.set(ask, resolve as (value: unknown) => void);
          this.send(thread, { type: 'progress', id, ask });
        }),
      stop: () => {
        if (thread.tasks.has(id)) this.send(thread, { type: 'stop', id });
      },
    };
  }

  /** Ends every thread (tasks still running on them are cut short): call once no task runs. */
  async close(): Promise<void> {
    await Promise.all(this.threads.splice(0).map(({ worker }) => worker.terminate()));
  }

  /** The least busy thread; a new one while there are fewer than `threads` and every one is busy. */
  private pick(): TaskThread {
    const idlest = this.threads.reduce<TaskThread | undefined>((best, thread) => (!best || thread.tasks.size < best.tasks.size ? thread : best), undefined);
    if (idlest && (idlest.tasks.size === 0 || this.threads.length >= Math.max(1, this.options.threads))) return idlest;
    const thread = this.startThread();
    this.threads.push(thread);
    return thread;
  }

  private send(thread: TaskThread, message: MainToTaskThread): void {
    thread.worker.postMessage(message);
  }

  private startThread(): TaskThread {
    const { filename, entry, tsx } = bootSpec(this.options.task, sibling(import.meta.url, 'task-thread'));
    const typescript = tsx || (this.options.imports ?? []).some((url) => /\.[cm]?ts$/.test(url));
    const worker = new Worker(filename, { workerData: { imapfw: { entry, tsx: typescript, task: this.options.task } }, resourceLimits: WORKER_RESOURCE_LIMITS });
    const thread: TaskThread = { worker, tasks: new Map() };
    worker.on('message', (message: TaskThreadToMain) => {
      if (message.type === 'dying') {
        thread.death = message.message;
        return;
      }
      const pending = thread.tasks.get(message.id);
      if (!pending) return;
      if (message.type === 'progress') {
        pending.asks.get(message.ask)?.(message.value);
        pending.asks.delete(message.ask);
        return;
      }
      thread.tasks.delete(message.id);
      for (const answer of pending.asks.values()) answer(undefined);
      if (message.type === 'done') pending.resolve(message.result);
      else pending.reject(new RuntimeError(message.error.message));
    });
    worker.on('error', (error) => (thread.death ??= error.message));
    worker.on('exit', (code) => {
      const index = this.threads.indexOf(thread);
      if (index >= 0) this.threads.splice(index, 1);
      const why = thread.death ?? `it exited with code ${code}`;
      for (const pending of thread.tasks.values()) {
        for (const answer of pending.asks.values()) answer(undefined);
        pending.reject(new RuntimeError(`the thread running it died: ${why}`));
      }
      thread.tasks.clear();
    });
    return thread;
  }
}
