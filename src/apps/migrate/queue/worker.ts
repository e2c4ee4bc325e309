import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import type { Job } from 'bullmq';
import { ConfigError, ExitCode, exitCodeFor, failedAccountReport, forTerminal, registerKnownPasswords, type Backend } from '../../../api/index.js';
import { appCommand, logLevel, positiveInteger, threadsOption } from '../../../contrib/cli/command.js';
import { parseRedisUrl, redisConnection } from '../../../contrib/queue/redis-url.js';
import { secretsKeyFromEnv } from '../../../contrib/queue/secret-box.js';
import { ServerSlots, type ServerLease } from '../../../contrib/queue/server-slots.js';
import type { MigrateAccount, MigrateArgs } from '../args.js';
import { summarizeMigration } from '../summary.js';
import { accountRunner } from '../account-runner.js';
import type { AccountResult } from '../batch.js';
import type { RunningAccounts } from '../migrate-one.js';
import { accountOnWorker, QUEUE_NAME, serverOf, type JobProgress, type MigrateJobData } from './job.js';
import { failureReason } from './reason.js';
import { requireOnUse } from '../../../core/require-on-use.js';
import { expandHome } from '../../../api/expand-home.js';

const bullmq = () => requireOnUse('bullmq') as typeof import('bullmq');

/** How often a running job's progress (folders, messages, bytes) is written to the queue. */
const PROGRESS_EVERY_MS = 1_000;
/** How long a stopping worker waits for the queue to take its jobs back. */
const CLOSE_MS = 15_000;

interface WorkerFlags {
  queue?: string;
  parallel: number;
  threads?: number;
  stateDir?: string;
  secretsKeyEnv?: string;
  stallInterval: number;
  logLevel: string;
  backend?: string;
  app?: string;
}

/**
 * `imapfw worker --queue redis://...`: takes migrate jobs off the queue,
 * `--parallel` at a time, and migrates each exactly as a single-account run
 * does (a runtime of its own, this host's state, the verification). Runs
 * until SIGTERM or SIGINT, which stop the accounts in flight after their
 * writes and hand their jobs back to the queue for any worker.
 */
export async function runQueueWorker(argv: string[], appModule: string): Promise<number> {
  const command = appCommand('worker', 'Migrate the accounts queued by `imapfw migrate --batch FILE --queue URL`, on this host, until stopped.')
    .option('--queue <redis-url>', 'the Redis queue: redis://HOST:PORT[/DB]')
    .option('--parallel <n>', 'accounts migrated at once by this worker', positiveInteger, 2)
    .option(...threadsOption)
    .option('--state-dir <dir>', "this host's migration state (default $XDG_STATE_HOME/imapfw)")
    .option('--secrets-key-env <name>', 'the environment variable holding the key the enqueuing run sealed passwords with')
    .option('--stall-interval <ms>', 'a worker silent this long is taken for dead and its accounts go to another worker', positiveInteger, 30_000)
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace', logLevel, 'warn')
    .option('--app <module>', "the app whose actors migrate the accounts: your module built on migrate's app (default: migrate)")
    .option('--backend <backend>', "run the engines on this backend (pool, thread, or inline for debugging), each repository in a thread of its own, instead of migrate's default placement (connections and engines in one worker)");
  command.parse(argv, { from: 'user' });
  const flags = command.opts<WorkerFlags>();
  if (!flags.queue) throw new ConfigError('--queue redis://HOST:PORT[/DB] is required');
  if (flags.backend !== undefined && !['pool', 'thread', 'inline'].includes(flags.backend)) throw new ConfigError(`--backend must be pool, thread or inline, not "${flags.backend}"`);
  if (flags.threads && flags.backend) throw new ConfigError('--threads and --backend exclude each other: with --backend each account has a runtime of threads of its own');
  const connection = redisConnection(parseRedisUrl(flags.queue));
  const key = flags.secretsKeyEnv ? secretsKeyFromEnv(flags.secretsKeyEnv) : undefined;
  const stateDir = flags.stateDir === undefined ? undefined : expandHome(flags.stateDir);
  process.env.IMAPFW_LOG_LEVEL = flags.logLevel;
  const id = `${hostname()}:${process.pid}`;
  const running: RunningAccounts = new Map();
  const runner = accountRunner(flags.app ? pathToFileURL(expandHome(flags.app)).href : appModule, { parallel: flags.parallel, ...(flags.threads ? { threads: flags.threads } : {}), ...(flags.backend ? { backend: flags.backend as Backend } : {}) });
  /** Accounts by job id, and the jobs whose lock this worker lost. */
  const accounts = new Map<string, string>();
  const lost = new Set<string>();
  let stopping = false;

  const { Worker } = bullmq();
  const worker = new Worker<MigrateJobData, AccountResult>(
    QUEUE_NAME,
    async (job, token) => {
      const name = job.data.account.name;
      let account: MigrateAccount;
      try {
        account = accountOnWorker(job.data, job.id!, key, stateDir);
      } catch (error) {
        const summary = summarizeMigration([failedAccountReport(error)], 0, job.data.options);
        return fail(job, { name, from: job.data.account.from, to: job.data.account.to, complete: false, exitCode: exitCodeFor(error), summary });
      }
      // Known here too (a sealed password, a set variable): the account runs in another thread, and this one prints.
      registerKnownPasswords([account.fromPassword, account.toPassword]);
      const servers = [serverOf(account.from), serverOf(account.to)];
      const lease = await slots.tryAcquire(servers, job.data.perServer, `${id}:${job.id}`);
      if (!lease) return handBack(job, token, 500 + Math.random() * 1000);
      try {
        log(`${name}: started on ${id} (attempt ${job.attemptsMade + 1})`);
        const args: MigrateArgs = {
          ...job.data.options,
          accounts: [account],
          json: false,
          ...(stateDir ? { stateDir } : {}),
          logLevel: flags.logLevel,
          ...(flags.backend ? { backend: flags.backend as Backend } : {}),
          // The caps' buckets live in this worker's queue Redis, shared with every worker of the queue.
          ...(job.data.perServerRate ? { serverRate: { redis: flags.queue!, prefix: QUEUE_NAME, servers, ...job.data.perServerRate } } : {}),
        };
        const ticker = setInterval(() => void reportProgress(job, name), PROGRESS_EVERY_MS);
        accounts.set(job.id!, name);
        const { result } = await runner.migrate(account, args, running).finally(() => {
          clearInterval(ticker);
          accounts.delete(job.id!);
        });
        if (lost.delete(job.id!)) throw new Error(`${name}: stopped: this worker lost the job's lock, another worker has it`);
        const complete = result.exitCode === ExitCode.OK;
        log(`${name}: ${complete ? 'done' : `not complete: ${failureReason(result)}`}, ${result.summary.transferred} transferred`);
        if (complete) return result;
        if (stopping) return handBack(job, token, 0);
        return fail(job, result);
      } finally {
        await release(lease, name);
      }
    },
    {
      connection,
      concurrency: flags.parallel,
      name: id,
      lockDuration: flags.stallInterval,
      stalledInterval: flags.stallInterval,
      // A job taken over this many times (its worker died each time) fails.
      maxStalledCount: 5,
      autorun: false,
    },
  );
  worker.on('error', (error) => log(`queue: ${error.message}`));
  // This worker was taken for dead (Redis unreachable, or this process too
  // busy to renew the lock in time) and the job may run elsewhere now: stop
  // its copy here rather than run the account twice at once.
  worker.on('lockRenewalFailed', (jobIds) => {
    for (const jobId of jobIds) {
      const name = accounts.get(jobId);
      if (name === undefined || lost.has(jobId)) continue;
      lost.add(jobId);
      log(`${name}: lost the job's lock: stopping it here`);
      void running.get(name)?.stop();
    }
  });
  // A lease outlives a missed renewal or two, and frees a dead worker's slots about when its jobs are taken over.
  const slots = new ServerSlots(await worker.client, QUEUE_NAME, flags.stallInterval * 2);
  const stopped = worker.run();

  const reportProgress = async (job: Job<MigrateJobData, AccountResult>, name: string) => {
    const account = running.get(name);
    if (!account) return;
    const progress = await account.progress();
    const update: JobProgress = {
      worker: id,
      folders: progress.map((p) => p.folder),
      done: progress.reduce((n, p) => n + p.done, 0),
      total: progress.reduce((n, p) => n + p.total, 0),
      bytes: progress.reduce((n, p) => n + p.bytes, 0),
    };
    await job.updateProgress(update as unknown as object).catch(() => {});
  };

  log(`worker ${id}: taking jobs from ${flags.queue}, ${flags.parallel} at a time`);
  // BullMQ's loop ending on its own (an error it does not retry) stops this worker as a signal would, not as an unhandled rejection.
  const loopEnded = stopped.then(
    () => 'the queue loop ended',
    (error: Error) => `the queue loop failed: ${error.message}`,
  );
  const signalled = await Promise.race([
    new Promise<NodeJS.Signals>((resolveSignal) => {
      process.once('SIGTERM', () => resolveSignal('SIGTERM'));
      process.once('SIGINT', () => resolveSignal('SIGINT'));
    }),
    loopEnded,
  ]);
  log(`worker ${id}: ${signalled}: stopping the accounts in flight after their writes and handing them back`);
  stopping = true;
  await Promise.all([...running.values()].map((account) => account.stop()));
  // Redis unreachable: do not wait for it forever; the jobs are taken over after the stall interval.
  const closed = Promise.all([worker.close(), loopEnded]);
  const timedOut = await Promise.race([closed.then(() => false), new Promise<boolean>((resolveTimer) => setTimeout(() => resolveTimer(true), CLOSE_MS).unref())]);
  if (timedOut) {
    log(`worker ${id}: the queue did not answer in ${CLOSE_MS / 1000} s; leaving, its jobs go to other workers after the stall interval`);
    await worker.close(true).catch(() => {});
  }
  await runner.close();
  if (signalled === 'SIGINT') return ExitCode.INTERRUPTED;
  return signalled === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.NETWORK;
}

/**
 * Fails a job's run with its summary kept (the job's progress; `migrate
 * results` exports it): BullMQ retries it with backoff, except a refused
 * login or a bad setting, which fails the same way every time.
 */
async function fail(job: Job, result: AccountResult): Promise<never> {
  await job.updateProgress({ result });
  const reason = failureReason(result);
  throw result.exitCode === ExitCode.AUTH || result.exitCode === ExitCode.USAGE ? new (bullmq().UnrecoverableError)(reason) : new Error(reason);
}

/** Puts a job back on the queue (after `delayMs`) without counting it as a failed attempt. */
async function handBack(job: Job, token: string | undefined, delayMs: number): Promise<never> {
  await job.moveToDelayed(Date.now() + delayMs, token);
  throw new (bullmq().DelayedError)();
}

async function release(lease: ServerLease, name: string): Promise<void> {
  // Redis unreachable: the lease expires by itself.
  await lease.release().catch((error: Error) => log(`${name}: server slots not released (${error.message}); they expire by themselves`));
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ${forTerminal(line)}\n`);
}
