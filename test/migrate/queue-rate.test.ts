// `migrate --queue ... --max-rate-per-server`: a bytes-per-second cap on a
// server holds across worker processes. Four accounts on the test Dovecot
// (source and target on the same server, so one bucket), two workers taking
// two accounts each at a time: from the first account started to the last one
// done (the workers' own lines), the batch cannot take less than its bytes at
// the cap, less the one second's worth the bucket holds at first: 24 s.
// Unthrottled, the same batch takes a few seconds (mostly the accounts' start).
import { writeFileSync } from 'node:fs';
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
import { readQueueStatus } from '../../src/apps/migrate/queue/status.js';
import { accountRuns, startWorker, stopEverything, type WorkerProcess } from './queue-support.js';
import { folderDifferences, tempDir } from './support.js';

const ACCOUNTS = Array.from({ length: 4 }, (_, i) => `r${i}`);
const MESSAGES = 20;
const SIZE = 50_000;
/** Bytes per second on the server, across both workers. */
const CAP = 160_000;

let server: DovecotServer;
let redis: RedisServer;
let work: { dir: string; remove(): void };
let queue: Queue;
const password = (user: string) => `pw-${user}-rate`;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  server = await startDovecot({ users: Object.fromEntries(ACCOUNTS.flatMap((name) => [`src-${name}`, `dst-${name}`]).map((user) => [user, password(user)])) });
  redis = await startRedis();
  work = tempDir();
  for (const name of ACCOUNTS) {
    await dropIntoMaildir(server, `src-${name}`, 'INBOX', Array.from({ length: MESSAGES }, (_, n) => ({ raw: makeMessage({ subject: `${name} ${n}`, size: SIZE }) })));
  }
  queue = new Queue(QUEUE_NAME, { connection: { host: redis.host, port: redis.port, maxRetriesPerRequest: null } });
}, 120_000);

afterAll(() => stopEverything(workers, queue, redis, server, work));

describe('migrate --queue --max-rate-per-server', () => {
  it('holds the bytes-per-second cap on a server across two workers', async () => {
    const csv = path.join(work.dir, 'accounts.csv');
    const env = Object.fromEntries(ACCOUNTS.flatMap((name) => [`src-${name}`, `dst-${name}`]).map((user) => [`PW_${user.replace('-', '_')}`, password(user)]));
    writeFileSync(csv, `name,from,from_password_env,to,to_password_env\n${ACCOUNTS.map((n) => [n, server.url(`src-${n}`), `PW_src_${n}`, server.url(`dst-${n}`), `PW_dst_${n}`].join(',')).join('\n')}\n`);
    const enqueued = await startApp<EnqueueSummary>('migrate', ['--batch', csv, '--queue', redis.url, '--max-rate-per-server', `${CAP / 1000}KB/s`, '--json'], { timeoutMs: 60_000 }).done;
    expect(enqueued.summary, describeAppRun(enqueued)).toMatchObject({ added: ACCOUNTS.length });

    for (const n of [1, 2]) workers.push(startWorker(['--queue', redis.url, '--parallel', '2', '--state-dir', path.join(work.dir, `worker-${n}`)], env, 300_000));
    const deadline = Date.now() + 240_000;
    for (;;) {
      const status = await readQueueStatus(queue);
      if (status.complete + status.failed.length === ACCOUNTS.length) break;
      if (Date.now() > deadline) throw new Error(`timed out: ${JSON.stringify(status)}\n${workers.map((w) => w.stderr.slice(-1500)).join('\n---\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const results = (await queue.getJobs(['completed'])).map((job) => job.returnvalue as AccountResult);
    expect(results.map((r) => r.name).sort()).toEqual(ACCOUNTS);
    for (const name of ACCOUNTS) expect(await folderDifferences({ server, user: `src-${name}` }, 'INBOX', { server, user: `dst-${name}` }, 'INBOX'), name).toEqual([]);

    // Both workers copied: the cap held across them, not within one.
    const spans = workers.map(({ stderr }) => accountRuns(stderr));
    for (const [n, own] of spans.entries()) expect(own.length, `accounts of worker ${n + 1}\n${workers[n]!.stderr}`).toBeGreaterThan(0);
    const all = spans.flat();
    expect(all.every((span) => span.ended !== undefined)).toBe(true);
    const bytes = results.reduce((sum, r) => sum + r.summary.bytes, 0);
    expect(bytes).toBeGreaterThan(ACCOUNTS.length * MESSAGES * (SIZE - 10));
    const seconds = (Math.max(...all.map((span) => span.ended!)) - Math.min(...all.map((span) => span.started))) / 1000;
    // The bucket holds one second's worth at first; the rest goes at the cap at most.
    expect(seconds).toBeGreaterThanOrEqual(bytes / CAP - 1);
  }, 300_000);
});
