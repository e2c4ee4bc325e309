// `imapfw worker` runs its jobs in account threads, several per thread. Five
// accounts, three at once in one thread, through a user's app built on
// migrate (fixtures/crashing-app.ts) whose engines of one account throw once
// outside any call: that thread dies with the jobs it hosted, which are
// retried like any failure; the worker goes on in a new thread and every
// account completes, verified. While the large account runs, `status` shows
// it (worker, folder, messages, bytes) from across the thread boundary.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chmodSync, writeFileSync } from 'node:fs';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, makeMessage } from '../support/messages.js';
import { startRedis, type RedisServer } from '../support/redis.js';
import { QUEUE_NAME } from '../../src/apps/migrate/queue/job.js';
import { readQueueStatus, type QueueStatus } from '../../src/apps/migrate/queue/status.js';
import { startWorker, stopEverything, type WorkerProcess } from './queue-support.js';
import { folderDifferences, tempDir, type Side } from './support.js';

const BIG = 'q0';
const CRASH = 'q1';
const ACCOUNTS = [BIG, CRASH, 'q2', 'q3', 'q4'];
const FOLDERS = ['INBOX', 'Archive'];
const BIG_MESSAGES = 200;
const APP = fileURLToPath(new URL('./fixtures/crashing-app.ts', import.meta.url));

let server: DovecotServer;
let redis: RedisServer;
let work: { dir: string; remove(): void };
let queue: Queue;
const workers: WorkerProcess[] = [];
const password = (side: 'src' | 'dst', name: string) => `${side}-${name}-secret-pw`;
const src = (name: string): Side => ({ server, user: `src-${name}` });
const dst = (name: string): Side => ({ server, user: `dst-${name}` });
const env = () => Object.fromEntries(ACCOUNTS.flatMap((name) => [[`SRC_PW_${name}`, password('src', name)], [`DST_PW_${name}`, password('dst', name)]]));

beforeAll(async () => {
  server = await startDovecot({ users: Object.fromEntries(ACCOUNTS.flatMap((name) => [[`src-${name}`, password('src', name)], [`dst-${name}`, password('dst', name)]])) });
  redis = await startRedis();
  work = tempDir();
  for (const name of ACCOUNTS.filter((n) => n !== BIG)) {
    for (const folder of FOLDERS) await dropIntoMaildir(server, `src-${name}`, folder, [0, 1, 2].map((n) => ({ raw: makeMessage({ subject: `${name} ${folder} ${n}`, size: 400 }) })));
  }
  await dropIntoMaildir(server, `src-${BIG}`, 'INBOX', Array.from({ length: BIG_MESSAGES }, (_, n) => ({ raw: makeMessage({ subject: `${BIG} ${n}`, size: 1000 }) })));
  queue = new Queue(QUEUE_NAME, { connection: { host: redis.host, port: redis.port, maxRetriesPerRequest: null } });
}, 240_000);

afterAll(() => stopEverything(workers, queue, redis, server, work));

async function until(what: string, check: (status: QueueStatus) => boolean, timeoutMs: number): Promise<QueueStatus> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await readQueueStatus(queue);
    if (check(status)) return status;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(status)}\n${workers.map((w) => w.stderr.slice(-3000)).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('imapfw worker in account threads', () => {
  it('a thread that dies fails its jobs, which are retried and complete; status shows the running account', async () => {
    const csv = path.join(work.dir, 'accounts.csv');
    writeFileSync(csv, `name,from,from_password_env,to,to_password_env\n${ACCOUNTS.map((n) => [n, server.url(`src-${n}`), `SRC_PW_${n}`, server.url(`dst-${n}`), `DST_PW_${n}`].join(',')).join('\n')}\n`);
    chmodSync(csv, 0o600);
    const enqueued = await startApp('migrate', ['--batch', csv, '--queue', redis.url, '--retry-delay', '300', '--attempts', '3', '--max-messages-per-second', '40'], { timeoutMs: 120_000 }).done;
    expect(enqueued.code, describeAppRun(enqueued)).toBe(0);

    const args = ['--queue', redis.url, '--parallel', '3', '--threads', '1', '--app', APP, '--state-dir', path.join(work.dir, 'worker')];
    const worker = startWorker(args, { ...env(), IMAPFW_TEST_CRASH_ACCOUNT: CRASH, IMAPFW_TEST_CRASH_ONCE: path.join(work.dir, 'crashed') }, 600_000);
    workers.push(worker);

    // The progress the worker writes to the job comes from the account's thread.
    const copying = await until('the large account mid-copy', (s) => s.running.some((r) => r.name === BIG && r.done >= 10 && r.done < BIG_MESSAGES), 300_000);
    const big = copying.running.find((r) => r.name === BIG)!;
    expect(big.worker).toMatch(new RegExp(`:${worker.run.child.pid}$`));
    // Each engine copying a part of the folder reports it.
    expect([...new Set(big.folders)]).toEqual(['INBOX']);
    expect(big.total).toBeGreaterThanOrEqual(BIG_MESSAGES);
    expect(big.bytes).toBeGreaterThanOrEqual(big.done * 1000);

    const end = await until('every job done', (s) => s.waiting === 0 && s.running.length === 0, 400_000);
    expect(end.failed, worker.stderr.slice(-3000)).toEqual([]);
    expect(end.complete).toBe(ACCOUNTS.length);
    // The crashing account's first run ended with its thread; the worker took more jobs in a new one.
    expect(worker.stderr).toMatch(new RegExp(`${CRASH}: not complete: .*the thread running it died: test: ${CRASH}'s engine threw outside any call`));
    const threads = [...worker.stderr.matchAll(/^test: account (\S+) in thread (\d+)$/gm)].map((m) => ({ account: m[1]!, thread: Number(m[2]) }));
    const first = threads.find((t) => t.account === CRASH)!.thread;
    expect(threads.filter((t) => t.account === CRASH).map((t) => t.thread).slice(1)).not.toContain(first);
    expect(new Set(threads.map((t) => t.thread)).size).toBeGreaterThanOrEqual(2);
    for (const name of ACCOUNTS) {
      for (const folder of name === BIG ? ['INBOX'] : FOLDERS) expect(await folderDifferences(src(name), folder, dst(name), folder), `${name} ${folder}`).toEqual([]);
    }
    expect(worker.stderr).not.toMatch(/secret-pw/);

    worker.run.child.kill('SIGTERM');
    expect((await worker.run.done).code).toBe(143);
  }, 900_000);
});
