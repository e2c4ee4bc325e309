// claims: a large message is copied in parts, never held whole: mirroring a
// 200 MB message raises the run's peak RSS by far less than the message's
// size (the whole-message path took about twice its size), and the file on
// disk is the server's bytes exactly. migrate holds such a message once.
import { createHash } from 'node:crypto';
import { createReadStream, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppRun } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, imapClient, makeMessage } from '../support/messages.js';
import { describeRun, mirrorDirs, runMirror, USER, type MirrorDirs, type MirrorRun } from './support.js';

const MB = 1 << 20;
const BIG = 200 * MB;
const PASSWORD = 'secret';

/** A message of `size` bytes: a header and lines of 76 characters, CRLF. */
function bigMessage(size: number, subject: string): Buffer {
  const head = makeMessage({ subject, body: 'the start of a large message' });
  return Buffer.concat([head, Buffer.alloc(size - head.length, `${'x'.repeat(76)}\r\n`)]);
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function mirrorMeasured(server: DovecotServer, dirs: MirrorDirs, user: string): Promise<MirrorRun> {
  const args = ['--remote', server.url(user), '--maildir', dirs.maildir, '--password-env', 'PW', '--state-dir', dirs.state, '--json'];
  return startApp<MirrorRun['summary']>('mirror', args, { env: { PW: PASSWORD }, measureRss: true, timeoutMs: 240_000 }).done as Promise<MirrorRun>;
}

function migrateArgs(from: string, to: string, stateDir: string): string[] {
  return ['--from', server.url(from), '--to', server.url(to), '--from-password-env', 'PW', '--to-password-env', 'PW', '--state-dir', stateDir, '--json'];
}

let server: DovecotServer;
let big: Buffer;
const dirs: MirrorDirs[] = [];

beforeAll(async () => {
  server = await startDovecot({ users: { [USER]: PASSWORD, small: PASSWORD, target: PASSWORD, 'small-target': PASSWORD } });
  big = bigMessage(BIG, 'two hundred megabytes');
  await dropIntoMaildir(server, USER, 'INBOX', [{ raw: big }]);
  await dropIntoMaildir(server, 'small', 'INBOX', [{ raw: makeMessage({ subject: 'small', size: 4000 }) }]);
}, 120_000);

afterAll(async () => {
  for (const dir of dirs) dir.remove();
  await server?.stop();
});

const kib = (run: AppRun<unknown>) => {
  expect(run.maxRssKiB, describeRun(run as MirrorRun)).toBeGreaterThan(0);
  return run.maxRssKiB!;
};

describe('a 200 MB message', () => {
  it('is mirrored in parts: peak RSS grows by less than half its size, and the file is the server bytes', async () => {
    const small = mirrorDirs();
    const large = mirrorDirs();
    dirs.push(small, large);
    // The same run on a one-small-message account: the fixed cost of the threads and modules.
    const baseline = await mirrorMeasured(server, small, 'small');
    expect(baseline.code, describeRun(baseline)).toBe(0);
    const run = await mirrorMeasured(server, large, USER);
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.summary!.copied).toBe(1);
    const grewMiB = (kib(run) - kib(baseline)) / 1024;
    console.log(`peak RSS: ${Math.round(kib(run) / 1024)} MiB for the 200 MB message, ${Math.round(kib(baseline) / 1024)} MiB for a small one`);
    expect(grewMiB).toBeLessThan(BIG / MB / 2);

    const cur = path.join(large.maildir, 'cur');
    const files = readdirSync(cur);
    expect(files).toHaveLength(1);
    expect(await fileSha256(path.join(cur, files[0]!))).toBe(sha256(big));
    expect(files[0]).toContain(`,S=${BIG},W=${BIG}`);
    expect(readdirSync(path.join(large.maildir, 'tmp'))).toEqual([]);

    const again = await runMirror(server, large, { args: [] });
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.summary!.copied).toBe(0);
  }, 300_000);

  it('is migrated to another account byte for byte, held once: peak RSS grows by less than 1.75 times its size', async () => {
    const state = mirrorDirs();
    dirs.push(state);
    const small = await startApp<MirrorRun['summary']>('migrate', migrateArgs('small', 'small-target', path.join(state.root, 'small-state')), { env: { PW: PASSWORD }, measureRss: true }).done;
    expect(small.code, describeRun(small as MirrorRun)).toBe(0);
    const run = await startApp<MirrorRun['summary']>('migrate', migrateArgs(USER, 'target', state.state), { env: { PW: PASSWORD }, measureRss: true, timeoutMs: 240_000 }).done;
    expect(run.code, describeRun(run as MirrorRun)).toBe(0);
    console.log(`migrate peak RSS: ${Math.round(kib(run) / 1024)} MiB for the 200 MB message, ${Math.round(kib(small) / 1024)} MiB for a small one`);
    // The whole-message path held it about twice (and more): the IMAP target gathers its parts into one buffer, then APPENDs it.
    expect((kib(run) - kib(small)) / 1024).toBeLessThan(1.75 * (BIG / MB));
    const client = await imapClient(server, 'target');
    try {
      await client.mailboxOpen('INBOX', { readOnly: true });
      const copies = await client.fetchAll('1:*', { uid: true, size: true }, { uid: true });
      expect(copies.map((copy) => copy.size)).toEqual([BIG]);
      const hash = createHash('sha256');
      const { content } = await client.download(String(copies[0]!.uid), undefined, { uid: true, chunkSize: 8 * MB });
      for await (const chunk of content!) hash.update(chunk as Buffer);
      expect(hash.digest('hex')).toBe(sha256(big));
    } finally {
      await client.logout();
    }
  }, 300_000);
});
