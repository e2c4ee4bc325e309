import type { Job } from 'bullmq';
import { ConfigError, ExitCode } from '../../../api/index.js';
import { appCommand } from '../../../contrib/cli/command.js';
import { jsonLine } from '../../../contrib/cli/json-line.js';
import { openQueue } from '../../../contrib/queue/open-queue.js';
import type { AccountResult } from '../batch.js';
import { QUEUE_NAME, type MigrateJobData } from './job.js';
import { failedResult } from './status.js';

/**
 * `imapfw migrate results --queue URL > results.jsonl`: a JSON line per
 * finished account (complete or failed for good), the same lines as
 * `--batch --results` writes. Accounts still waiting or running have none.
 */
export async function runQueueResults(argv: string[]): Promise<number> {
  const command = appCommand('migrate results', 'Print the result of every finished account of a queue, one JSON line each.').option('--queue <redis-url>', 'the Redis queue: redis://HOST:PORT[/DB]');
  command.parse(argv, { from: 'user' });
  const flags = command.opts<{ queue?: string }>();
  if (!flags.queue) throw new ConfigError('--queue redis://HOST:PORT[/DB] is required');
  const queue = await openQueue(flags.queue, QUEUE_NAME);
  try {
    for (const job of (await queue.getJobs(['completed'])) as Job<MigrateJobData, AccountResult>[]) process.stdout.write(jsonLine(job.returnvalue));
    for (const job of (await queue.getJobs(['failed'])) as Job<MigrateJobData, AccountResult>[]) {
      const { from, to, name } = job.data.account;
      // A job that failed before any run left a summary has only BullMQ's reason.
      process.stdout.write(jsonLine(failedResult(job)?.result ?? { name, from, to, complete: false, exitCode: ExitCode.PARTIAL, reason: job.failedReason }));
    }
  } finally {
    await queue.close();
  }
  return ExitCode.OK;
}
