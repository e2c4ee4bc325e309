import { closeSync, fstatSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { mkdir, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { identityFromBody } from '../../src/core/identity.js';
import { crlfSize } from '../../src/core/crlf.js';
import { DraftFile } from '../../src/core/maildir/deliver.js';
import { removeStaleTmpFiles, STALE_TMP_MS } from '../../src/core/maildir/tmp-cleanup.js';
import { sanitizeHost, uniqueName } from '../../src/core/maildir/unique-name.js';
import { mail } from '../contract/repository.contract.js';
import { crlf, tempMaildir, type TempMaildir } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

const T = Date.UTC(2023, 4, 6, 7, 8, 9, 123);

describe('unique names', () => {
  it('follow time.M<usec>P<pid>Q<n>R<random>.<host> and never repeat', () => {
    const names = Array.from({ length: 2000 }, () => uniqueName());
    expect(new Set(names).size).toBe(names.length);
    expect(names[0]).toMatch(new RegExp(`^\\d{10}\\.M\\d{1,6}P${process.pid}Q\\d+R[0-9a-f]{8}\\.[^/:,]+$`));
  });

  it("write '/', ':' and ',' of the host as octal escapes", () => {
    expect(sanitizeHost('a/b:c,d.example')).toBe('a\\057b\\072c\\054d.example');
  });
});

describe('delivery', () => {
  it('names the file <unique>,S=<bytes>,W=<crlf bytes>:2,<sorted letters> with mtime = INTERNALDATE', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const body = mail('named');
    const [id] = await repo.store('INBOX', [{ body, flags: ['\\Seen', '\\Answered', '\\Flagged', '\\Draft', '\\Deleted'], internalDate: T }]);
    expect(id).toMatch(new RegExp(`,S=${body.length},W=${body.length}$`));
    const [file] = await readdir(join(root, 'cur'));
    expect(file).toBe(`${id}:2,DFRST`);
    expect(Math.round((await stat(join(root, 'cur', file!))).mtimeMs)).toBe(T);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect(await readdir(join(root, 'new'))).toEqual([]);
  });

  it('never shows a file left in tmp/ by an interrupted delivery', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [id] = await repo.store('INBOX', [{ body: mail('complete'), flags: [], internalDate: T }]);
    // What a crash between write and rename leaves behind: a partial file in tmp/.
    await writeFile(join(root, 'tmp', `${uniqueName()},S=999`), 'From: half a mess');
    const scan = await repo.scan('INBOX');
    expect(scan.messages.map((m) => m.id)).toEqual([id]);
    expect(repo.takeWarnings()).toEqual([]);
  });

  it('cleans tmp/ files untouched for 36 hours, and only those', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await writeFile(join(root, 'tmp', 'leftover'), 'x');
    expect(await removeStaleTmpFiles(join(root, 'tmp'))).toEqual([]);
    expect(await removeStaleTmpFiles(join(root, 'tmp'), Date.now() + STALE_TMP_MS + 1000)).toEqual([join(root, 'tmp', 'leftover')]);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
  });

  it.each([
    ['an empty message', new Uint8Array(0)],
    ['a bare-LF message', new TextEncoder().encode('Subject: lf\nMessage-ID: <lf@x>\n\nline one\nline two\n')],
    ['8-bit headers', new Uint8Array([...Buffer.from('Subject: Gr\xfc\xdfe \xe9t\xe9\r\nFrom: J\xf6rg <j@x>\r\n\r\n', 'latin1'), ...Buffer.from('Grüße\r\n')])],
    ['a message without a final newline', crlf('Subject: x', '', 'no newline at the end')],
  ])('round-trips %s byte for byte, with its CRLF size and identity', async (_, body) => {
    maildir = await tempMaildir();
    const { repo } = maildir;
    const [id] = await repo.store('INBOX', [{ body, flags: ['\\Seen'], internalDate: T }]);
    const [meta] = (await repo.scan('INBOX', undefined, { internalDates: true })).messages;
    expect(meta).toEqual({ id, flags: ['\\Seen'], size: crlfSize(body), internalDate: T });
    const [fetched] = await repo.fetch(await folderAt(repo, 'INBOX'), [id!]);
    expect(Buffer.from(fetched!.body).equals(Buffer.from(body))).toBe(true);
    const [identified] = await repo.identify(await folderAt(repo, 'INBOX'), [id!]);
    expect(identified).toEqual({ id, ...identityFromBody(body), internalDate: T }); // the date a listing leaves out
  });

  it('a bare-LF message and its CRLF form have the same size and identity', async () => {
    maildir = await tempMaildir();
    const { repo } = maildir;
    const lf = new TextEncoder().encode('Subject: s\nMessage-ID: <same@x>\n\nbody\n');
    const crlfBody = new TextEncoder().encode('Subject: s\r\nMessage-ID: <same@x>\r\n\r\nbody\r\n');
    const ids = await repo.store('INBOX', [lf, crlfBody].map((body) => ({ body, flags: [], internalDate: T })));
    const sizes = (await repo.scan('INBOX')).messages.map((m) => m.size);
    expect(sizes).toEqual([crlfBody.length, crlfBody.length]);
    const [a, b] = await repo.identify(await folderAt(repo, 'INBOX'), ids);
    expect(a!.identity).toBe(b!.identity);
  });

  it("takes the source's size for W= only when it is the byte count, and counts bare LFs otherwise", async () => {
    maildir = await tempMaildir();
    const { repo } = maildir;
    const lf = new TextEncoder().encode('Subject: s\nMessage-ID: <lf@x>\n\nbody\n');
    const crlfBody = new TextEncoder().encode('Subject: s\r\nMessage-ID: <crlf@x>\r\n\r\nbody\r\n');
    // The bare-LF body's size as a server reports it (its CRLF form) is not its byte count: its bare LFs are counted.
    await repo.store('INBOX', [
      { body: lf, flags: [], internalDate: T, size: crlfSize(lf) },
      { body: crlfBody, flags: [], internalDate: T, size: crlfBody.length },
    ]);
    const sizes = (await repo.scan('INBOX')).messages.map((m) => m.size).sort();
    expect(sizes).toEqual([crlfSize(lf), crlfBody.length].sort());
    expect(crlfSize(lf)).toBeGreaterThan(lf.length);
  });

  it('stores a message in parts: nothing in cur/ before finishStore, its CRLF size counted across parts, an abandoned draft leaves nothing', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const body = new TextEncoder().encode('Subject: parts\nMessage-ID: <parts@x>\r\n\r\none\r\ntwo\nthree\r\n');
    const draft = await repo.beginStore('INBOX', { flags: ['\\Seen'], internalDate: T });
    // Cut inside a CRLF: its LF is not bare.
    const cut = body.indexOf(13) + 1;
    await repo.storePart(draft, body.slice(0, cut));
    await repo.storePart(draft, body.slice(cut));
    expect(await readdir(join(root, 'cur'))).toEqual([]);
    const id = await repo.finishStore(draft);
    expect((await repo.scan('INBOX', undefined, { internalDates: true })).messages).toEqual([{ id, flags: ['\\Seen'], size: crlfSize(body), internalDate: T }]);
    const [fetched] = await repo.fetch(await folderAt(repo, 'INBOX'), [id]);
    expect(Buffer.from(fetched!.body).equals(Buffer.from(body))).toBe(true);
    expect(Buffer.from(await repo.fetchPart(await folderAt(repo, 'INBOX'), id, 5, 10)).equals(Buffer.from(body.subarray(5, 15)))).toBe(true);

    const dropped = await repo.beginStore('INBOX', { flags: [], internalDate: T });
    await repo.storePart(dropped, body);
    await repo.abandonStore(dropped);
    expect(await readdir(join(root, 'tmp'))).toEqual([]);
    expect((await repo.scan('INBOX')).messages.map((m) => m.id)).toEqual([id]);
    await expect(repo.finishStore(dropped)).rejects.toThrow(/no message is being stored/);
  });

  it('stores, identifies (streamed) and fetches a 30 MB message', async () => {
    maildir = await tempMaildir({ fsync: false });
    const { repo } = maildir;
    const header = Buffer.from('Subject: big\r\nMessage-ID: <big@x>\r\n\r\n');
    const line = Buffer.from(`${'x'.repeat(76)}\r\n`);
    const body = Buffer.concat([header, Buffer.alloc(30 * 1024 * 1024, line)]);
    const [id] = await repo.store('INBOX', [{ body, flags: [], internalDate: T }]);
    const [identified] = await repo.identify(await folderAt(repo, 'INBOX'), [id!]);
    expect(identified!.identity).toBe('mid:<big@x>');
    const [fetched] = await repo.fetch(await folderAt(repo, 'INBOX'), [id!]);
    expect(fetched!.body.byteLength).toBe(body.length);
    expect(fetched!.body.buffer.byteLength).toBe(body.length); // owns its buffer: safe to transfer
    expect(Buffer.from(fetched!.body).equals(body)).toBe(true);
  });

  it('closes a failed draft\'s file once: discarding it leaves a file opened since under the same number open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'imapfw-draft-'));
    try {
      await mkdir(join(dir, 'tmp'));
      const draft = await DraftFile.create(dir); // no cur/: delivering fails after the file is closed
      await draft.write(Buffer.from('Subject: x\r\n\r\nbody\r\n'));
      await expect(draft.deliver('S', T, { fsync: true })).rejects.toMatchObject({ code: 'ENOENT' });
      const other = openSync(join(dir, 'other'), 'w'); // takes the lowest free number: the draft's
      await draft.discard();
      expect(() => fstatSync(other)).not.toThrow();
      closeSync(other);
      expect(await readdir(join(dir, 'tmp'))).toStrictEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('works with fsync off', async () => {
    maildir = await tempMaildir({ fsync: false });
    const { repo } = maildir;
    const ids = await repo.store('INBOX', [{ body: mail('fast'), flags: ['custom'], internalDate: T }]);
    expect((await repo.scan('INBOX')).messages.map((m) => [m.id, m.flags])).toEqual([[ids[0], ['custom']]]);
  });
});
