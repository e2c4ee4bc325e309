import type { Job, Queue } from 'bullmq';
import { ConfigError, ExitCode, forTerminal } from '../../../api/index.js';
import { appCommand, positiveInteger } from '../../../contrib/cli/command.js';
import { jsonLine } from '../../../contrib/cli/json-line.js';
import { openQueue } from '../../../contrib/queue/open-queue.js';
import type { AccountResult } from '../batch.js';
import { QUEUE_NAME, type JobProgress, type MigrateJobData } from './job.js';
import { failureReason } from './reason.js';

/** Where a queued batch stands: `imapfw migrate status --queue URL [--json]`. */
export interface QueueStatus {
  workers: number;
  /** Not started yet, or waiting for a retry or for a server slot (or started while the status was read). */
  waiting: number;
  running: { name: string; worker?: string; folders: string[]; done: number; total: number; bytes: number }[];
  complete: number;
  failed: { name: string; reason: string; attempts: number }[];
}

type MigrateJob = Job<MigrateJobData, AccountResult>;

/**
 * Where the batch stands. The counts come from one atomic read (BullMQ counts in a Lua script); the running jobs'
 * details are read before it and the failed jobs after it. So a job that moves on between the reads is seen at
 * least once, and "none waiting, none running" is only said when the atomic count says it: a job that finished
 * between two separate reads was neither running nor complete in them, and made a batch look finished early.
 */
export async function readQueueStatus(queue: Queue): Promise<QueueStatus> {
  const active = (await queue.getJobs(['active'])) as MigrateJob[];
  const counts = await queue.getJobCounts('active', 'waiting', 'delayed', 'prioritized', 'paused', 'waiting-children', 'completed');
  const failed = (await queue.getJobs(['failed'])) as MigrateJob[];
  // Started after the running jobs were read: not shown as running, still counted as not done.
  const startedSince = Math.max(0, counts.active! - active.length);
  return {
    workers: await queue.getWorkersCount(),
    waiting: counts.waiting! + counts.delayed! + counts.prioritized! + counts.paused! + counts['waiting-children']! + startedSince,
    running: active.map((job) => {
      const progress = job.progress as Partial<JobProgress> | number;
      const at = typeof progress === 'object' && 'worker' in progress ? progress : {};
      return { name: job.data.account.name, ...(at.worker ? { worker: at.worker } : {}), folders: at.folders ?? [], done: at.done ?? 0, total: at.total ?? 0, bytes: at.bytes ?? 0 };
    }),
    complete: counts.completed!,
    failed: failed.map((job) => ({ name: job.data.account.name, reason: failedResult(job)?.reason ?? job.failedReason, attempts: job.attemptsMade })),
  };
}

/** The summary a failed job's last run left (see worker.ts), with its reason. */
export function failedResult(job: MigrateJob): { result: AccountResult; reason: string } | undefined {
  const progress = job.progress;
  const result = typeof progress === 'object' && progress !== null && 'result' in progress ? (progress as { result: AccountResult }).result : undefined;
  return result ? { result, reason: failureReason(result) } : undefined;
}

export async function runQueueStatus(argv: string[]): Promise<number> {
  const command = appCommand('migrate status', 'Where the accounts queued by `imapfw migrate --batch FILE --queue URL` stand.')
    .option('--queue <redis-url>', 'the Redis queue: redis://HOST:PORT[/DB]')
    .option('--json', 'print one JSON object')
    .option('--watch [seconds]', 'refresh every few seconds until no account is waiting or running', positiveInteger);
  command.parse(argv, { from: 'user' });
  const flags = command.opts<{ queue?: string; json?: boolean; watch?: number | true }>();
  if (!flags.queue) throw new ConfigError('--queue redis://HOST:PORT[/DB] is required');
  const queue = await openQueue(flags.queue, QUEUE_NAME);
  try {
    for (;;) {
      const status = await readQueueStatus(queue);
      if (flags.json) process.stdout.write(jsonLine(status));
      else process.stdout.write(`${flags.watch && process.stdout.isTTY ? '\x1b[2J\x1b[H' : ''}${statusText(flags.queue, status)}\n`);
      if (!flags.watch || (status.waiting === 0 && status.running.length === 0)) break;
      await new Promise((resolve) => setTimeout(resolve, (flags.watch === true ? 2 : flags.watch!) * 1000));
    }
  } finally {
    await queue.close();
  }
  return ExitCode.OK;
}

function statusText(url: string, status: QueueStatus): string {
  const lines = [
    `queue ${url}: ${status.workers} worker${status.workers === 1 ? '' : 's'}; ${status.waiting} waiting, ${status.running.length} running, ${status.complete} complete, ${status.failed.length} failed`,
  ];
  if (status.workers === 0 && status.waiting + status.running.length > 0) lines.push(`  no worker is running on this queue: start one with imapfw worker --queue ${url}`);
  if (status.running.length) {
    lines.push(`  ${'RUNNING account'.padEnd(32)} ${'worker'.padEnd(24)} ${'messages'.padStart(11)} ${'MB'.padStart(8)}  folders`);
    for (const run of status.running) {
      lines.push(
        `  ${run.name.padEnd(32)} ${(run.worker ?? '').padEnd(24)} ${`${run.done}/${run.total}`.padStart(11)} ${(run.bytes / 1e6).toFixed(1).padStart(8)}  ${run.folders.join(', ')}`,
      );
    }
  }
  for (const failed of status.failed) lines.push(`  FAILED ${failed.name} (${failed.attempts} attempt${failed.attempts === 1 ? '' : 's'}): ${failed.reason}`);
  return forTerminal(lines.join('\n'));
}
