// `npm run bench -- queue` (issue 14): a batch of accounts migrated through
// the Redis queue by 1, 2 and 4 `imapfw worker` processes (2 accounts at once
// each), against the same batch run by `imapfw migrate --batch --parallel` in
// one process at the same total parallelism, alternately, on the test Dovecot.
// Reports messages/s, the queue's overhead per account, and the CPU of the
// imapfw processes, Dovecot and Redis over each run: where throughput stops
// growing, and whether the server or the 2 cores are the limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { imapfwCommand } from './imapfw-command.js';
import { Queue, type Job } from 'bullmq';
import { startDovecot, type DovecotServer } from '../test/support/dovecot.js';
import { redisCommand, startRedis, type RedisServer } from '../test/support/redis.js';
import { seedMessages } from './corpus.js';
import { measure } from './measure.js';
import type { Options } from './options.js';
import { groupCpu, machineCpu, processCpu } from './proc-cpu.js';
import { seedOf } from './random.js';
import { median } from './report.js';
import { writeSection } from './results-section.js';
import { plannedSizes, smallOnly } from './sizes.js';

/** The heading of this scenario's section of bench/results.md. */
export const QUEUE_HEADING = '## Queue migrations (`migrate --queue`, `imapfw worker`)';

/** The two batches of the issue: many small accounts, and fewer larger ones. */
const corpora = (options: Options) => [
  { key: 's', accounts: options.queueAccounts, messages: 50 },
  { key: 'l', accounts: 20, messages: 1_000 },
];
type Corpus = ReturnType<typeof corpora>[number];
const WORKERS = [1, 2, 4];
/** Accounts each worker takes at once (its --parallel, the default); the single process runs workers × this. */
const PER_WORKER = 2;
const PASSWORD = 'bench-pw';
const PASSWORD_ENV = 'IMAPFW_BENCH_PASSWORD';
/** The queue's name (src/apps/migrate/queue/job.ts): the bench reads job states and timings from it. */
const QUEUE_NAME = 'imapfw-migrate';

interface RunResult {
  corpus: Corpus;
  mode: 'batch' | 'queue';
  processes: number;
  /** Account threads of each process (imapfw's default: its accounts at once, at most the CPU count). */
  threads: number;
  /** Accounts at once in all. */
  parallel: number;
  wall: number;
  /** CPU seconds over the run: the imapfw processes, Dovecot, Redis, and the whole machine (busy, of all its cores). */
  cpu: { imapfw: number; dovecot: number; redis: number; machineBusy: number; machineTotal: number };
  transferred: number;
  /** Queue runs: the enqueuing run's wall time, and per job the time the worker spent on it outside the account's own run (median, ms). */
  enqueueSeconds?: number;
  inJobMs?: number;
}

const sources = (corpus: Corpus) => Array.from({ length: corpus.accounts }, (_, i) => `q${corpus.key}-src-${i}`);
const targets = (corpus: Corpus, run: number) => Array.from({ length: corpus.accounts }, (_, i) => `q${corpus.key}${run}-dst-${i}`);

/** Runs the scenario in a temp dir of its own and writes its section of the results file (the rest is kept). */
export async function queueScenario(options: Options, log: (line: string) => void): Promise<void> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'imapfw-bench-queue-'));
  try {
    const section = await runQueueBench(options, workDir, options.imapfw, log);
    process.stdout.write(`\n${section}\n`);
    writeSection(options.results, QUEUE_HEADING, section);
    log(`queue: written to ${options.results}`);
  } finally {
    if (options.keep) log(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}

async function runQueueBench(options: Options, workDir: string, imapfw: string, log: (line: string) => void): Promise<string> {
  const runsPerCorpus = options.rounds * WORKERS.length * 2;
  const batches = corpora(options);
  const users = batches.flatMap((corpus) => [...sources(corpus), ...Array.from({ length: runsPerCorpus }, (_, run) => targets(corpus, run)).flat()]);
  const server = await startDovecot({ users: Object.fromEntries(users.map((user) => [user, PASSWORD])) });
  const redis = await startRedis();
  log(`queue: Dovecot on port ${server.port} (${users.length} users), Redis on ${redis.port}`);
  const results: RunResult[] = [];
  try {
    for (const corpus of batches) {
      const started = performance.now();
      for (const [i, user] of sources(corpus).entries()) {
        await seedMessages(server, user, options.seed, i * 100_000, plannedSizes(smallOnly(), corpus.messages, seedOf(options.seed, 'queue', user)));
      }
      log(`queue: seeded ${corpus.accounts} accounts x ${corpus.messages} messages in ${((performance.now() - started) / 1000).toFixed(0)} s`);
      let run = 0;
      for (let round = 0; round < options.rounds; round++) {
        for (const workers of WORKERS) {
          for (const mode of ['batch', 'queue'] as const) {
            const dir = path.join(workDir, `queue-${corpus.key}${run}`);
            await mkdir(dir, { recursive: true });
            const csv = await writeCsv(dir, server, sources(corpus), targets(corpus, run++));
            const result = mode === 'batch' ? await batchRun(imapfw, csv, dir, corpus, workers * PER_WORKER, server) : await queueRun(imapfw, csv, dir, corpus, workers, server, redis);
            if (result.transferred !== corpus.accounts * corpus.messages) throw new Error(`${mode} run ${dir}: ${result.transferred} messages transferred, not ${corpus.accounts * corpus.messages}`);
            log(`queue: ${describe(result)}`);
            results.push(result);
          }
        }
      }
    }
  } finally {
    await redis.stop();
    await server.stop();
  }
  return queueSection(results, batches, options, argvNote(options));
}

function argvNote(options: Options): string {
  return `npm run bench -- queue${options.rounds === 3 ? '' : ` --rounds ${options.rounds}`}${options.queueAccounts === 200 ? '' : ` --queue-accounts ${options.queueAccounts}`}`;
}

async function writeCsv(dir: string, server: DovecotServer, from: string[], to: string[]): Promise<string> {
  const csv = path.join(dir, 'accounts.csv');
  const lines = from.map((user, i) => [user, server.url(user), PASSWORD_ENV, server.url(to[i]!), PASSWORD_ENV].join(','));
  await writeFile(csv, `name,from,from_password_env,to,to_password_env\n${lines.join('\n')}\n`);
  return csv;
}

const env = () => ({ ...process.env, [PASSWORD_ENV]: PASSWORD });

/** Sampled before and after a run: Dovecot's and Redis' CPU, and the machine's. */
function cpuMark(server: DovecotServer, redis?: RedisServer) {
  return { dovecot: groupCpu(server.pid), redis: redis ? processCpu(redis.pid()) : 0, machine: machineCpu() };
}

function cpuSince(mark: ReturnType<typeof cpuMark>, server: DovecotServer, imapfw: number, redis?: RedisServer): RunResult['cpu'] {
  const now = cpuMark(server, redis);
  return { imapfw, dovecot: now.dovecot - mark.dovecot, redis: now.redis - mark.redis, machineBusy: now.machine.busy - mark.machine.busy, machineTotal: now.machine.total - mark.machine.total };
}

/** `imapfw migrate --batch CSV --parallel P` in one process, under GNU time. */
async function batchRun(imapfw: string, csv: string, dir: string, corpus: Corpus, parallel: number, server: DovecotServer): Promise<RunResult> {
  const mark = cpuMark(server);
  const logBase = path.join(dir, 'batch');
  const args = ['migrate', '--batch', csv, '--parallel', String(parallel), '--state-dir', path.join(dir, 'state'), '--results', path.join(dir, 'results.jsonl'), '--json'];
  const measured = await measure(...imapfwCommand(imapfw, args), { env: env(), logBase });
  const cpu = cpuSince(mark, server, measured.cpu);
  const summary = JSON.parse(measured.stdout || '{}') as { complete?: boolean; total?: { transferred: number } };
  if (measured.exitCode !== 0 || summary.complete !== true) throw new Error(`migrate --batch failed (exit ${measured.exitCode}): ${(await readFile(`${logBase}.err`, 'utf8')).slice(-2000)}`);
  return { corpus, mode: 'batch', processes: 1, threads: accountThreads(parallel), parallel, wall: measured.wall, cpu, transferred: summary.total!.transferred };
}

/**
 * Enqueues the CSV (timed apart), then starts the workers and times them from
 * their start until the queue holds every job finished; each worker's CPU is
 * read just before it is stopped.
 */
async function queueRun(imapfw: string, csv: string, dir: string, corpus: Corpus, workers: number, server: DovecotServer, redis: RedisServer): Promise<RunResult> {
  await redisCommand(redis.port, ['FLUSHALL']);
  const enqueued = await measure(...imapfwCommand(imapfw, ['migrate', '--batch', csv, '--queue', redis.url, '--json']), { env: env(), logBase: path.join(dir, 'enqueue') });
  if (enqueued.exitCode !== 0) throw new Error(`enqueue failed: ${enqueued.stdout}`);
  const queue = new Queue(QUEUE_NAME, { connection: { host: redis.host, port: redis.port } });
  const children: ChildProcess[] = [];
  try {
    const mark = cpuMark(server, redis);
    const started = performance.now();
    for (let n = 0; n < workers; n++) {
      const output = openSync(path.join(dir, `worker-${n}.err`), 'w');
      children.push(spawn(...imapfwCommand(imapfw, ['worker', '--queue', redis.url, '--parallel', String(PER_WORKER), '--state-dir', path.join(dir, `worker-${n}`)]), { env: env(), stdio: ['ignore', 'ignore', output] }));
      closeSync(output);
    }
    for (;;) {
      const counts = await queue.getJobCounts('completed', 'failed');
      if (counts.failed! > 0) throw new Error(`a job failed: see ${dir}/worker-*.err`);
      if (counts.completed === corpus.accounts) break;
      if (children.some((child) => child.exitCode !== null)) throw new Error(`a worker ended: see ${dir}/worker-*.err`);
      await sleep(50);
    }
    const wall = (performance.now() - started) / 1000;
    const cpu = cpuSince(mark, server, children.reduce((sum, child) => sum + processCpu(child.pid!), 0), redis);
    const jobs = (await queue.getJobs(['completed'])) as Job<unknown, { summary: { transferred: number; seconds: number } }>[];
    return {
      corpus,
      mode: 'queue',
      processes: workers,
      threads: accountThreads(PER_WORKER),
      parallel: workers * PER_WORKER,
      wall,
      cpu,
      transferred: jobs.reduce((sum, job) => sum + job.returnvalue.summary.transferred, 0),
      enqueueSeconds: enqueued.wall,
      inJobMs: median(jobs.map((job) => job.finishedOn! - job.processedOn! - job.returnvalue.summary.seconds * 1000)),
    };
  } finally {
    await Promise.all(children.filter((child) => child.exitCode === null).map((child) => new Promise((resolve) => child.once('exit', resolve).kill('SIGTERM'))));
    await queue.close();
  }
}

const messagesPerSecond = (r: RunResult) => r.transferred / r.wall;
const describe = (r: RunResult) =>
  `${r.corpus.accounts} x ${r.corpus.messages}, ${r.mode === 'batch' ? `batch --parallel ${r.parallel}` : `${r.processes} worker(s) x ${PER_WORKER}`}: ${r.wall.toFixed(1)} s, ${messagesPerSecond(r).toFixed(0)} msg/s, ` +
  `CPU imapfw ${r.cpu.imapfw.toFixed(1)} s, Dovecot ${r.cpu.dovecot.toFixed(1)} s, Redis ${r.cpu.redis.toFixed(1)} s, machine busy ${((100 * r.cpu.machineBusy) / r.cpu.machineTotal).toFixed(0)}%`;

/** The account threads a process runs `accounts` at once in, by default (src/apps/migrate/account-runner.ts). */
function accountThreads(accounts: number): number {
  return Math.min(accounts, os.availableParallelism());
}

/** The medians of each (corpus, mode, parallelism) over the rounds, in a table, with the overhead per account. */
function queueSection(results: RunResult[], batches: Corpus[], options: Options, command: string): string {
  const rows = ['| batch | run | processes × threads × accounts | wall | messages/s | vs one process | overhead per account | CPU imapfw | CPU Dovecot | CPU Redis | machine busy |', '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|'];
  const notes: string[] = [];
  for (const corpus of batches) {
    for (const parallel of WORKERS.map((w) => w * PER_WORKER)) {
      const of = (mode: 'batch' | 'queue') => results.filter((r) => r.corpus === corpus && r.mode === mode && r.parallel === parallel);
      const [batch, queue] = [of('batch'), of('queue')];
      if (!batch.length || !queue.length) continue;
      const m = (runs: RunResult[], value: (r: RunResult) => number) => median(runs.map(value));
      const wall = { batch: m(batch, (r) => r.wall), queue: m(queue, (r) => r.wall) };
      // The queue's extra wall time, spread over the accounts each of the `parallel` slots ran.
      const overheadMs = ((wall.queue - wall.batch) * parallel * 1000) / corpus.accounts;
      for (const [runs, label] of [
        [batch, `\`migrate --batch --parallel ${parallel}\``],
        [queue, `queue, ${parallel / PER_WORKER} worker${parallel === PER_WORKER ? '' : 's'}`],
      ] as const) {
        const isQueue = runs === queue;
        rows.push(
          `| ${corpus.accounts} × ${corpus.messages} | ${label} | ${runs[0]!.processes} × ${runs[0]!.threads} × ${runs[0]!.parallel / runs[0]!.processes} | ${m(runs, (r) => r.wall).toFixed(1)} s | ${m(runs, messagesPerSecond).toFixed(0)} | ` +
            `${isQueue ? `${(wall.batch / wall.queue).toFixed(2)}x` : ''} | ${isQueue ? `${overheadMs.toFixed(0)} ms` : ''} | ${m(runs, (r) => r.cpu.imapfw).toFixed(1)} s | ${m(runs, (r) => r.cpu.dovecot).toFixed(1)} s | ` +
            `${isQueue ? `${m(runs, (r) => r.cpu.redis).toFixed(1)} s` : ''} | ${m(runs, (r) => (100 * r.cpu.machineBusy) / r.cpu.machineTotal).toFixed(0)}% |`,
        );
      }
      notes.push(`${corpus.accounts} × ${corpus.messages}, ${parallel} at once: enqueue ${m(queue, (r) => r.enqueueSeconds!).toFixed(1)} s, worker time per job outside the account's run ${m(queue, (r) => r.inJobMs!).toFixed(0)} ms`);
    }
  }
  return `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`${command}\`, Node ${process.version}, the compiled imapfw in dist/; ${options.rounds} round${options.rounds === 1 ? '' : 's'}, medians. Each run migrates the batch
to fresh target accounts of one test Dovecot (source and target on it), messages of 2–5 KB in 5 folders. The queue
runs are timed from the workers' start until every job is complete (enqueuing apart, below); the single-process runs
are the whole \`imapfw migrate --batch\` process. Both at the same accounts at once; each account with the default
4 connections, in the default account threads (each process's accounts at once, at most the 2 cores). vs one process: the single-process wall time over the queue's (1.00x = the same, above 1 = faster).
Overhead per account: the queue's extra wall time times the accounts at once, over the accounts. CPU: user + sys over
the run (the imapfw processes with their threads, every Dovecot process, redis-server); machine busy: of all cores.

${rows.join('\n')}

${notes.map((line) => `- ${line}`).join('\n')}
`;
}
