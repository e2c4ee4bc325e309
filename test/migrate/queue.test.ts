// `imapfw migrate --batch FILE --queue redis://...` and `imapfw worker`: 50
// small accounts and a larger one on the test Dovecot, three worker
// processes on a real Redis (each with its own state dir, as on separate
// hosts). One worker is SIGKILLed in the middle of the large account's copy
// and Redis is restarted mid-run; the batch completes all the same, every
// source message on its target exactly once (by identity), the per-server cap
// held across the workers, one wrong password failing its job alone until
// --requeue-failed with the CSV fixed, and no password anywhere in Redis.
// A second pass (--requeue-completed, as before a cutover) over a CSV of a
// few of the accounts (every password kind, the taken-over one, the fixed
// one) copies only the one message that arrived since.
import { randomBytes } from 'node:crypto';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, makeMessage } from '../support/messages.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import type { AccountResult } from '../../src/apps/migrate/batch.js';
import type { EnqueueSummary } from '../../src/apps/migrate/queue/enqueue.js';
import { QUEUE_NAME } from '../../src/apps/migrate/queue/job.js';
import { readQueueStatus, type QueueStatus } from '../../src/apps/migrate/queue/status.js';
import { accountRuns, startWorker as startWorkerProcess, stopEverything, type WorkerProcess } from './queue-support.js';
import { folderDifferences, tempDir, type Side } from './support.js';

// IMAPFW_QUEUE_TEST_ACCOUNTS: fewer for a quick run on a busy machine.
const SMALL = Array.from({ length: Number(process.env.IMAPFW_QUEUE_TEST_ACCOUNTS ?? 50) }, (_, i) => `a${String(i).padStart(2, '0')}`);
const BIG = 'big';
// The large one first: it starts at once, and is mid-copy while the small ones run.
const ACCOUNTS = [BIG, ...SMALL];
const FOLDERS = ['INBOX', 'Archive'];
const BIG_MESSAGES = 300;
/** Its target password is wrong in the CSV at first; its passwords travel sealed. */
const WRONG = SMALL[Math.min(8, SMALL.length - 1)]!;
const PER_SERVER = 3;
const STALL_MS = 20_000;
const KEY_ENV = 'IMAPFW_TEST_QUEUE_KEY';

let server: DovecotServer;
let redis: RedisServer;
let work: { dir: string; remove(): void };
let csv: string;
let queue: Queue;
const key = randomBytes(32).toString('base64');
const password = (side: 'src' | 'dst', name: string) => `pw-${side}-${name}-${name.length * 7919}q`;
const src = (name: string): Side => ({ server, user: `src-${name}` });
const dst = (name: string): Side => ({ server, user: `dst-${name}` });

const workers: WorkerProcess[] = [];

/** Env for the password_env columns (on the workers) and the key (everywhere). */
const env = (): Record<string, string> => ({
  [KEY_ENV]: key,
  ...Object.fromEntries(ACCOUNTS.flatMap((name) => [[`SRC_PW_${name}`, password('src', name)], [`DST_PW_${name}`, password('dst', name)]])),
});

/** One CSV line per account, cycling through the password columns: env, command, sealed plaintext. */
function writeCsv(wrongTarget: boolean, names = ACCOUNTS, file = csv): void {
  const lines = names.map((name) => {
    const kind = name === WRONG ? 2 : ACCOUNTS.indexOf(name) % 3;
    const pwFile = (side: 'src' | 'dst') => {
      const file = path.join(work.dir, `${side}-${name}.pw`);
      writeFileSync(file, password(side, name), { mode: 0o600 });
      return `cat ${file}`;
    };
    const target = wrongTarget && name === WRONG ? 'not-the-password' : password('dst', name);
    const from = kind === 2 ? [password('src', name), '', ''] : kind === 0 ? ['', `SRC_PW_${name}`, ''] : ['', '', pwFile('src')];
    const to = kind === 2 ? [target, '', ''] : kind === 0 ? ['', `DST_PW_${name}`, ''] : ['', '', pwFile('dst')];
    return [name, server.url(`src-${name}`), ...from, server.url(`dst-${name}`), ...to].join(',');
  });
  writeFileSync(file, `name,from,from_password,from_password_env,from_password_command,to,to_password,to_password_env,to_password_command\n${lines.join('\n')}\n`);
  chmodSync(file, 0o600);
}

beforeAll(async () => {
  server = await startDovecot({ users: Object.fromEntries(ACCOUNTS.flatMap((name) => [[`src-${name}`, password('src', name)], [`dst-${name}`, password('dst', name)]])) });
  redis = await startRedis();
  work = tempDir();
  csv = path.join(work.dir, 'accounts.csv');
  for (const name of SMALL) {
    for (const folder of FOLDERS) {
      await dropIntoMaildir(server, `src-${name}`, folder, [0, 1].map((n) => ({ raw: makeMessage({ subject: `${name} ${folder} ${n}`, size: 300 }), flags: n ? ['\\Seen'] : [] })));
    }
  }
  await dropIntoMaildir(server, `src-${BIG}`, 'INBOX', Array.from({ length: BIG_MESSAGES }, (_, n) => ({ raw: makeMessage({ subject: `${BIG} ${n}`, size: 1000 }) })));
  queue = new Queue(QUEUE_NAME, { connection: { host: redis.host, port: redis.port, maxRetriesPerRequest: null } });
}, 240_000);

afterAll(() => stopEverything(workers, queue, redis, server, work));

function startWorker(n: number): void {
  const args = ['--queue', redis.url, '--parallel', '2', '--state-dir', path.join(work.dir, `worker-${n}`), '--secrets-key-env', KEY_ENV, '--stall-interval', String(STALL_MS)];
  workers.push(startWorkerProcess(args, env(), 2_400_000));
}

function enqueue(args: string[] = [], file = csv) {
  return startApp<EnqueueSummary>('migrate', ['--batch', file, '--queue', redis.url, '--secrets-key-env', KEY_ENV, '--per-server', String(PER_SERVER), '--retry-delay', '500', '--max-messages-per-second', '25', ...args], {
    env: { [KEY_ENV]: key },
    timeoutMs: 180_000,
  }).done;
}

async function until(what: string, check: (status: QueueStatus) => boolean, timeoutMs: number): Promise<QueueStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await readQueueStatus(queue);
    if (check(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify({ ...status, running: status.running.length })}\n${workers.map((w) => w.stderr.slice(-1500)).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const finished = (status: QueueStatus) => status.waiting === 0 && status.running.length === 0;

/** The most accounts running at once, from the workers' own lines (logged after taking the server slot, before giving it back). */
function mostAtOnce(): number {
  const events: { at: number; delta: number }[] = [];
  for (const worker of workers) {
    // A killed worker's accounts held their slots at least until it died.
    for (const run of accountRuns(worker.stderr)) events.push({ at: run.started, delta: 1 }, { at: run.ended ?? worker.killedAt ?? Infinity, delta: -1 });
  }
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let now = 0;
  let most = 0;
  for (const { delta } of events) most = Math.max(most, (now += delta));
  return most;
}

async function resultsExport(): Promise<AccountResult[]> {
  const run = await startApp('migrate', ['results', '--queue', redis.url], { timeoutMs: 180_000 }).done;
  expect(run.code, describeAppRun(run)).toBe(0);
  return run.stdout.trim().split('\n').map((line) => JSON.parse(line) as AccountResult);
}

describe('migrate --queue and imapfw worker', () => {
  it('50 accounts on 3 workers: a worker SIGKILLed mid-copy and a Redis restart later, all complete and verified, exactly once, within the per-server cap', async () => {
    writeCsv(true);
    const first = await enqueue();
    expect(first.code, describeAppRun(first)).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`${ACCOUNTS.length} accounts: ${ACCOUNTS.length} queued, 0 already on the queue`));
    expect(first.stdout).toMatch(/no worker is running on this queue yet/);
    expect(first.stdout).toContain(`imapfw worker --queue ${redis.url}`);
    const idle = await startApp('migrate', ['status', '--queue', redis.url], { timeoutMs: 180_000 }).done;
    expect(idle.stdout).toMatch(new RegExp(`0 workers; ${ACCOUNTS.length} waiting, 0 running`));
    expect(idle.stdout).toMatch(/no worker is running on this queue/);

    for (const n of [1, 2, 3]) startWorker(n);
    // The large account well into its copy: SIGKILL the worker running it.
    const midCopy = await until('the large account mid-copy', (s) => s.running.some((r) => r.name === BIG && r.done >= 20 && r.done < BIG_MESSAGES - 40), 300_000);
    const victimPid = Number(midCopy.running.find((r) => r.name === BIG)!.worker!.split(':').pop());
    const victim = workers.find(({ run }) => run.child.pid === victimPid)!;
    expect(victim, `worker ${victimPid} is one of ours`).toBeDefined();
    victim.killedAt = Date.now();
    victim.run.child.kill('SIGKILL');
    // Another worker takes it over once the dead one's lock has expired (a job waiting for a server slot
    // goes behind the waiting ones, so that may be late); Redis restarts under the workers meanwhile.
    await until('a third of the accounts complete', (s) => s.complete >= ACCOUNTS.length / 3, 900_000);
    await redis.restart();
    const end = await until('the batch to finish', finished, 900_000);

    expect(end.complete, JSON.stringify(end.failed)).toBe(ACCOUNTS.length - 1);
    expect(end.failed.map((f) => f.name)).toEqual([WRONG]);
    expect(end.failed[0]!.reason).toMatch(/EAUTH/);
    for (const name of ACCOUNTS.filter((n) => n !== WRONG)) {
      for (const folder of name === BIG ? ['INBOX'] : FOLDERS) expect(await folderDifferences(src(name), folder, dst(name), folder), `${name} ${folder}`).toEqual([]);
    }
    const results = await resultsExport();
    expect(results.map((r) => r.name).sort()).toEqual([...ACCOUNTS].sort());
    for (const result of results.filter((r) => r.name !== WRONG)) {
      expect(result.complete, result.name).toBe(true);
      expect(result.summary.verified.missing, result.name).toBe(0);
    }
    // The worker that took the large account over had no state of the dead one: it found what was already there by identity.
    const big = results.find((r) => r.name === BIG)!.summary;
    expect(big.alreadyPresent).toBeGreaterThan(0);
    expect(big.transferred + big.alreadyPresent).toBe(BIG_MESSAGES);
    expect(results.find((r) => r.name === WRONG)).toMatchObject({ complete: false, exitCode: 3 });

    const most = mostAtOnce();
    expect(most).toBeLessThanOrEqual(PER_SERVER);
    expect(most).toBeGreaterThan(1);

    // Env, command and sealed password columns: not one password in any Redis value or key.
    const dump = await redis.dump();
    const everything = [...dump].map(([k, v]) => `${k} ${v}`).join('\n');
    expect(dump.size).toBeGreaterThan(ACCOUNTS.length);
    for (const name of ACCOUNTS) for (const side of ['src', 'dst'] as const) expect(everything.includes(password(side, name)), `${side} password of ${name}`).toBe(false);
    expect(everything).not.toContain('not-the-password');

    const again = await enqueue(['--json']);
    expect(again.summary, describeAppRun(again)).toMatchObject({ added: 0, alreadyQueued: ACCOUNTS.length, requeued: 0, workers: 2 });
  }, 1_500_000);

  it('--requeue-failed with the password fixed in the CSV completes the failed account; status and the results agree; a second pass copies only what arrived since', async () => {
    writeCsv(false);
    const requeue = await enqueue(['--json', '--requeue-failed']);
    expect(requeue.summary, describeAppRun(requeue)).toMatchObject({ added: 0, requeued: 1, alreadyQueued: ACCOUNTS.length - 1 });
    await until('the requeued account', (s) => finished(s) && s.complete === ACCOUNTS.length, 300_000);
    for (const folder of FOLDERS) expect(await folderDifferences(src(WRONG), folder, dst(WRONG), folder)).toEqual([]);
    const status = await startApp<QueueStatus>('migrate', ['status', '--queue', redis.url, '--json'], { timeoutMs: 180_000 }).done;
    expect(status.summary).toMatchObject({ workers: 2, waiting: 0, running: [], complete: ACCOUNTS.length, failed: [] });
    const results = await resultsExport();
    expect(results).toHaveLength(ACCOUNTS.length);
    expect(results.every((r) => r.complete)).toBe(true);

    // A second pass before the cutover, over a few of the accounts (every password kind, the one taken over after
    // the SIGKILL, the one fixed): one message arrived since; each account runs again (on whichever worker, with or
    // without its state) and copies that one message alone.
    const late = SMALL[0]!;
    const again = [...new Set([BIG, ...SMALL.slice(0, 3), WRONG])];
    const againCsv = path.join(work.dir, 'second-pass.csv');
    writeCsv(false, again, againCsv);
    await dropIntoMaildir(server, `src-${late}`, 'INBOX', [{ raw: makeMessage({ subject: `${late} arrived late`, size: 300 }) }]);
    const pass = await enqueue(['--json', '--requeue-completed'], againCsv);
    expect(pass.summary, describeAppRun(pass)).toMatchObject({ accounts: again.length, added: 0, requeued: again.length, alreadyQueued: 0 });
    await until('the second pass', (s) => finished(s) && s.complete === ACCOUNTS.length, 600_000);
    const second = new Map((await resultsExport()).map((result) => [result.name, result]));
    expect(second.size).toBe(ACCOUNTS.length);
    for (const name of again) {
      // The first pass copied every message of each of them: these are the second pass's summaries.
      expect(second.get(name), name).toMatchObject({ complete: true, summary: { transferred: name === late ? 1 : 0 } });
      for (const folder of name === BIG ? ['INBOX'] : FOLDERS) expect(await folderDifferences(src(name), folder, dst(name), folder), `${name} ${folder}`).toEqual([]);
    }

    // SIGTERM: the workers stop cleanly.
    const live = workers.filter((w) => !w.killedAt);
    for (const { run } of live) run.child.kill('SIGTERM');
    for (const { run } of live) {
      const ended = await run.done;
      expect(ended.code, describeAppRun(ended)).toBe(143);
    }
  }, 900_000);
});
