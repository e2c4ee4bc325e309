// examples/custom-mirror, run the way a user runs their own app:
// `imapfw run examples/custom-mirror/app.ts -- ...` against a real Dovecot.
// The example imports 'imapfw' (the package's compiled public API, found by
// self-reference inside this repo), so it needs `npm run build` (npm test does).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, listServerMessages, makeMessage } from '../support/messages.js';
import { REPO_ROOT, runCli } from '../mirror/helpers.js';

const APP = 'examples/custom-mirror/app.ts';
const PASSWORD = 'custom-mirror-pw';

interface Report {
  folders: { folder: string; copied: number; deleted: number }[];
  errors: { folder?: string; message: string }[];
}

let server: DovecotServer;
let scratch: string;

beforeAll(async () => {
  server = await startDovecot({ users: { alice: PASSWORD } });
  scratch = await mkdtemp(join(tmpdir(), 'imapfw-example-test-'));
  const some = (folder: string, n: number) => Array.from({ length: n }, (_, i) => ({ raw: makeMessage({ subject: `${folder} ${i}` }), flags: i === 0 ? ['\\Seen'] : [] }));
  await appendMessages(server, 'alice', 'INBOX', some('INBOX', 3));
  await appendMessages(server, 'alice', 'Sent Items', some('Sent Items', 2));
  await appendMessages(server, 'alice', 'Trash', some('Trash', 2));
  await appendMessages(server, 'alice', 'Junk', some('Junk', 1));
  await appendMessages(server, 'alice', 'Lists/dev', some('Lists/dev', 2));
});

afterAll(async () => {
  await server?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

/** Message files of a folder of the nested Maildir (INBOX is the root). */
function files(maildir: string, folder: string): string[] {
  const dir = folder === 'INBOX' ? maildir : join(maildir, ...folder.split('/'));
  return ['cur', 'new'].flatMap((sub) => readdirSync(join(dir, sub)).map((name) => join(dir, sub, name)));
}

const messageId = (file: string) => /^Message-ID: *(.*)$/im.exec(readFileSync(file, 'latin1'))?.[1]?.trim();

async function runExample(maildir: string): Promise<Report> {
  const result = await runCli(['run', APP, '--', '--remote', server.url('alice'), '--maildir', maildir, '--password-env', 'WORK_PW', '--state-dir', join(scratch, 'state'), '--json'], {
    env: { WORK_PW: PASSWORD },
  });
  expect(result.status, `stdout: ${result.stdout}\nstderr: ${result.stderr}`).toBe(0);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Report;
}

describe('examples/custom-mirror', () => {
  it('is built: its "imapfw" import is the compiled package', () => {
    expect(existsSync(join(REPO_ROOT, 'dist/src/api/index.js')), 'run `npm run build` first (npm test does)').toBe(true);
  });

  it('mirrors through its own repositories: Trash and Junk left out, "Sent Items" as Sent, a nested layout, its private Local/ folders untouched', async () => {
    const maildir = join(scratch, 'Work');
    // A folder of the user's own, which the example's MaildirRepository hides from the sync.
    mkdirSync(join(maildir, 'Local', 'notes', 'cur'), { recursive: true });
    for (const sub of ['new', 'tmp']) mkdirSync(join(maildir, 'Local', 'notes', sub));
    const note = join(maildir, 'Local', 'notes', 'cur', '1700000000.note.host:2,S');
    writeFileSync(note, 'Subject: my own note\r\n\r\nnot on the server\r\n');
    const noteStamp = statSync(note).mtimeMs;

    const first = await runExample(maildir);
    expect(first.errors).toEqual([]);
    const synced = first.folders.map((f) => f.folder);
    expect(synced).toEqual(expect.arrayContaining(['INBOX', 'Sent', 'Lists/dev']));
    for (const hidden of ['Trash', 'Junk', 'Sent Items', 'Local', 'Local/notes']) expect(synced).not.toContain(hidden);
    expect(first.folders.reduce((n, f) => n + f.copied, 0)).toBe(3 + 2 + 2);

    // Folder names on disk are the translated ones, in the nested layout.
    const dirs = readdirSync(maildir, { withFileTypes: true }).filter((entry) => entry.isDirectory());
    expect(dirs.map((entry) => entry.name).sort()).toEqual(['Lists', 'Local', 'Sent', 'cur', 'new', 'tmp']);
    const sentOnServer = (await listServerMessages(server, 'alice', 'Sent Items')).map((m) => m.messageId).sort();
    expect(files(maildir, 'Sent').map(messageId).sort()).toEqual(sentOnServer);
    expect(files(maildir, 'Lists/dev')).toHaveLength(2);
    expect(files(maildir, 'INBOX')).toHaveLength(3);
    expect(readdirSync(join(maildir, 'Local', 'notes', 'cur'))).toEqual(['1700000000.note.host:2,S']);
    expect(statSync(note).mtimeMs).toBe(noteStamp);

    // Run again: every translated name goes back to its server folder (nameTransBack), so nothing is copied twice.
    const second = await runExample(maildir);
    expect(second.errors).toEqual([]);
    expect(second.folders.map((f) => f.copied + f.deleted)).toEqual(second.folders.map(() => 0));
    expect(files(maildir, 'Sent')).toHaveLength(2);
  });
});
