// Two copies of one mail on the server (same Message-ID and bytes, same
// flags, different INTERNALDATEs), and a Maildir that already holds a copy
// of one of them but no state pairs it: what a run killed between writing
// that copy and committing its pair leaves behind. The rerun must pair the
// file with the copy of its date and fetch the other one, so that each file
// keeps its own server date (mtime), whichever copy has the lower UID.
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { localMessages, runCli } from './helpers.js';

const PASSWORD = 'alice-pw';
const EARLIER = new Date('2024-01-04T07:00:00Z');
const LATER = new Date('2025-06-01T18:30:00Z');

let server: DovecotServer;
let scratch: string;

beforeAll(async () => {
  server = await startDovecot({ users: { alice: PASSWORD } });
  scratch = mkdtempSync(join(tmpdir(), 'imapfw-duplicate-dates-'));
});

afterAll(async () => {
  await server?.stop();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('mirror: copies of one mail held twice', () => {
  it('a Maildir copy left by a killed run pairs with the server copy of its date; the other copy is fetched with its own date', async () => {
    const raw = makeMessage({ subject: 'sent twice', size: 2_000 });
    // The later copy first: it gets the lower UID, which a pairing by id order alone would take.
    await appendMessages(server, 'alice', 'INBOX', [
      { raw, flags: ['\\Seen'], internalDate: LATER },
      { raw, flags: ['\\Seen'], internalDate: EARLIER },
    ]);
    const maildir = join(scratch, 'Mail');
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(maildir, sub), { recursive: true });
    // S= in the name gives the size, so that the listing reads no date (it would stat a file without one).
    const left = join(maildir, 'cur', `1700000000.M1P1.host,S=${raw.length}:2,S`);
    writeFileSync(left, raw);
    utimesSync(left, EARLIER, EARLIER);

    const run = await runCli(['mirror', '--remote', server.url('alice'), '--maildir', maildir, '--password-env', 'PW', '--state-dir', join(scratch, 'state'), '--json'], {
      env: { PW: PASSWORD },
    });
    expect(run.status, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ copied: 1, complete: true });
    const files = localMessages(maildir, 'INBOX');
    expect(files.map((m) => [m.subject, m.flags])).toEqual([
      ['sent twice', ['\\Seen']],
      ['sent twice', ['\\Seen']],
    ]);
    expect(files.map((m) => m.mtimeMs).sort()).toEqual([EARLIER.getTime(), LATER.getTime()]);
  });
});
