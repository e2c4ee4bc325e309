/** What the main thread and a task thread say to each other (see TaskThreads). */

/** What a task function gets besides its input. */
export interface TaskControl {
  /** Aborted when the main thread asks this task to stop (a signal, a lost job): stop cleanly and return. */
  signal: AbortSignal;
  /** What to answer when the main thread asks how far the task is (called on each question). */
  onProgress(report: () => unknown): void;
}

/** A task module's default export: runs one task in a task thread (several at once share the thread). */
export type TaskFunction<Input = never, Result = unknown> = (input: Input, control: TaskControl) => Promise<Result>;

export type MainToTaskThread =
  | { type: 'run'; id: number; input: unknown }
  | { type: 'stop'; id: number }
  | { type: 'progress'; id: number; ask: number };

export type TaskThreadToMain =
  | { type: 'done'; id: number; result: unknown }
  | { type: 'failed'; id: number; error: { message: string } }
  | { type: 'progress'; id: number; ask: number; value: unknown }
  /** An uncaught exception or unhandled rejection: the thread is about to exit. */
  | { type: 'dying'; message: string };
