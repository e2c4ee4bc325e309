import { ExitCode } from '../../../api/index.js';
import { jsonLine } from '../../../contrib/cli/json-line.js';
import { openQueue } from '../../../contrib/queue/open-queue.js';
import { secretsKeyFromEnv } from '../../../contrib/queue/secret-box.js';
import type { MigrateArgs } from '../args.js';
import { jobDataOf, jobIdOf, QUEUE_NAME } from './job.js';

/** What an enqueuing run did, printed as JSON with --json. */
export interface EnqueueSummary {
  queue: string;
  accounts: number;
  added: number;
  /** Already on the queue (waiting, running, done or failed): left as they are. */
  alreadyQueued: number;
  /** Finished jobs put back by --requeue-failed and --requeue-completed. */
  requeued: number;
  workers: number;
}

/**
 * `migrate --batch FILE --queue URL`: one job per account, its id derived
 * from the source and target accounts, so that enqueuing the same CSV again
 * adds nothing; `--requeue-failed` puts this CSV's failed jobs back with the
 * CSV's current passwords and options, `--requeue-completed` its completed
 * ones (a second pass, as imapsync users run the same command again before
 * the cutover: what arrived since is copied, the rest is found by the
 * worker's state or by identity). Every job is built (and every password
 * column checked) before the first is written.
 */
export async function enqueueBatch(args: MigrateArgs): Promise<number> {
  const options = args.queue!;
  const key = options.secretsKeyEnv ? secretsKeyFromEnv(options.secretsKeyEnv) : undefined;
  const jobs = args.accounts.map((account) => ({ id: jobIdOf(account.from, account.to), data: jobDataOf(account, args, options, key) }));
  const queue = await openQueue(options.url, QUEUE_NAME);
  const summary: EnqueueSummary = { queue: options.url, accounts: jobs.length, added: 0, alreadyQueued: 0, requeued: 0, workers: 0 };
  try {
    // Asked all at once: the commands share one connection, a round trip for the lot.
    const states = await Promise.all(jobs.map(({ id }) => queue.getJobState(id)));
    for (const [index, { id, data }] of jobs.entries()) {
      const state = states[index];
      if (state === 'unknown') {
        await queue.add(data.account.name, data, {
          jobId: id,
          attempts: options.attempts,
          backoff: { type: 'exponential', delay: options.retryDelayMs },
          // Kept, so that the same account is never queued twice and its summary can be exported.
          removeOnComplete: false,
          removeOnFail: false,
        });
        summary.added++;
      } else if ((state === 'failed' && options.requeueFailed) || (state === 'completed' && options.requeueCompleted)) {
        const job = (await queue.getJob(id))!;
        await job.updateData(data);
        await job.retry(state, { resetAttemptsMade: true, resetAttemptsStarted: true });
        summary.requeued++;
      } else summary.alreadyQueued++;
    }
    summary.workers = await queue.getWorkersCount();
  } finally {
    await queue.close();
  }
  if (args.json) process.stdout.write(jsonLine(summary));
  else process.stdout.write(`${enqueueText(summary, options.secretsKeyEnv)}\n`);
  return ExitCode.OK;
}

function enqueueText(summary: EnqueueSummary, secretsKeyEnv: string | undefined): string {
  const url = summary.queue;
  const key = secretsKeyEnv ? ` --secrets-key-env ${secretsKeyEnv}` : '';
  return [
    `imapfw migrate: ${summary.accounts} accounts: ${summary.added} queued, ${summary.alreadyQueued} already on the queue${summary.requeued ? `, ${summary.requeued} finished ones put back` : ''} (${url})`,
    summary.workers === 0
      ? '  no worker is running on this queue yet: nothing is migrated until one starts'
      : `  ${summary.workers} worker${summary.workers === 1 ? '' : 's'} running on this queue`,
    `  start workers (on any number of hosts): imapfw worker --queue ${url} --parallel 4${key} --state-dir DIR`,
    `  follow progress:                        imapfw migrate status --queue ${url} --watch`,
    `  export the results:                     imapfw migrate results --queue ${url} > results.jsonl`,
  ].join('\n');
}
