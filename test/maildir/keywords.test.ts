import { readdir, readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ensureKeywords, KeywordTable } from '../../src/core/maildir/keywords.js';
import { DryRunMaildir } from '../../src/contrib/cli/dry-run-maildir.js';
import { mail } from '../contract/repository.contract.js';
import { tempMaildir, type TempMaildir } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

let maildir: TempMaildir | undefined;
afterEach(async () => {
  await maildir?.cleanup();
  maildir = undefined;
});

const curFiles = async (dir: string) => (await readdir(join(dir, 'cur'))).sort();

describe('dovecot-keywords', () => {
  it("is written in Dovecot's format and the letters name the keywords", async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const [id] = await repo.store('INBOX', [{ body: mail('k'), flags: ['work', '\\Seen', '$Forwarded'], internalDate: 0 }]);
    expect(await readFile(join(root, 'dovecot-keywords'), 'utf8')).toBe('0 work\n1 $Forwarded\n');
    expect(await curFiles(root)).toEqual([`${id}:2,Sab`]);
  });

  it("reads a Dovecot-written file with gaps and allocates the lowest free letter", async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await writeFile(join(root, 'dovecot-keywords'), '0 Junk\n3 NonJunk\n');
    await writeFile(join(root, 'cur', '1700000000.M1P1.host,S=10:2,Sd'), mail('dovecot'));
    const [meta] = (await repo.scan('INBOX')).messages;
    expect([...meta!.flags].sort()).toEqual(['NonJunk', '\\Seen']);

    await repo.setFlags(await folderAt(repo, 'INBOX'), [{ id: meta!.id, add: ['$Label1'], remove: ['NonJunk'] }]);
    expect(await readFile(join(root, 'dovecot-keywords'), 'utf8')).toBe('0 Junk\n1 $Label1\n3 NonJunk\n');
    expect(await curFiles(root)).toEqual(['1700000000.M1P1.host,S=10:2,Sb']);
  });

  it('keeps a 27th keyword out, reports it, and stores the message anyway', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    const keywords = Array.from({ length: 27 }, (_, i) => `kw${i}`);
    const [id] = await repo.store('INBOX', [{ body: mail('many'), flags: keywords, internalDate: 0 }]);
    const [meta] = (await repo.scan('INBOX')).messages;
    expect(meta!.id).toBe(id);
    expect(meta!.flags).toHaveLength(26);
    expect(meta!.flags).not.toContain('kw26');
    expect((await readFile(join(root, 'dovecot-keywords'), 'utf8')).split('\n')).toHaveLength(27);
    const warnings = repo.takeWarnings();
    expect(warnings).toMatchObject([{ code: 'flag-refused', folder: 'INBOX' }]);
    expect(warnings[0]!.message).toContain('"kw26"');
  });

  it('refuses flags it cannot store (\\Recent, non-atoms) with a warning', async () => {
    maildir = await tempMaildir();
    const { repo } = maildir;
    await repo.store('INBOX', [{ body: mail('odd'), flags: ['\\Recent', 'has space', '\\Seen'], internalDate: 0 }]);
    expect((await repo.scan('INBOX')).messages[0]!.flags).toEqual(['\\Seen']);
    expect(repo.takeWarnings().map((w) => w.code)).toEqual(['flag-refused', 'flag-refused']);
  });

  it('keeps letters it does not know (mutt\'s P, a keyword letter without a name) through a flag change', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await writeFile(join(root, 'cur', '1700000000.M1P1.host:2,PSz'), mail('mutt'));
    const [meta] = (await repo.scan('INBOX')).messages;
    expect(meta!.flags).toEqual(['\\Seen']);
    await repo.setFlags(await folderAt(repo, 'INBOX'), [{ id: meta!.id, add: ['\\Flagged'], remove: ['\\Seen'] }]);
    expect(await curFiles(root)).toEqual(['1700000000.M1P1.host:2,FPz']);
  });

  it('concurrent writers never lose each other\'s keywords', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => ensureKeywords(root, [`k${i}`, 'shared'], { fsync: false })));
    const table = KeywordTable.parse(await readFile(join(root, 'dovecot-keywords'), 'utf8'));
    for (let i = 0; i < 8; i++) expect(table.letterOf(`k${i}`)).toBe(results[i]!.table.letterOf(`k${i}`));
    expect(table.format().split('\n').filter(Boolean)).toHaveLength(9);
    expect(await readdir(root)).not.toContain('dovecot-keywords.lock');
  });

  it('breaks a stale lock left by a crashed writer', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    const lock = join(root, 'dovecot-keywords.lock');
    await writeFile(lock, '');
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const { table } = await ensureKeywords(root, ['after-crash'], { fsync: true });
    expect(table.letterOf('after-crash')).toBe('a');
  });
});

describe('reserveFlags', () => {
  const keywords = Array.from({ length: 30 }, (_, i) => `$k${String(i).padStart(2, '0')}`);
  const fileLines = async (root: string) => (await readFile(join(root, 'dovecot-keywords'), 'utf8')).split('\n').filter(Boolean);

  it('gives letters in the order asked while they last, and says which flags it cannot hold and why', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    const refused = await repo.reserveFlags('INBOX', ['\\Seen', ...keywords, '\\Recent', 'has space']);
    expect(refused.map((r) => r.flag)).toEqual(['\\Recent', 'has space', ...keywords.slice(26)]);
    expect(refused.find((r) => r.flag === '$k29')!.reason).toMatch(/26 keyword letters/);
    expect(refused.find((r) => r.flag === 'has space')!.reason).toMatch(/not an IMAP atom/);
    expect(refused.find((r) => r.flag === '\\Recent')!.reason).toMatch(/no Maildir letter/);
    expect(await fileLines(root)).toEqual(keywords.slice(0, 26).map((k, i) => `${i} ${k}`));

    // Stored afterwards, the reserved keywords all find their letter: nothing is refused, nothing warned.
    await repo.store('INBOX', [{ body: mail('many'), flags: keywords.slice(0, 26), internalDate: 0 }]);
    expect(repo.takeWarnings()).toEqual([]);
    expect([...(await repo.scan('INBOX')).messages[0]!.flags].sort()).toEqual(keywords.slice(0, 26));
  });

  it('keeps the keywords that have a letter whatever the order asked: the same ones win on every run', async () => {
    maildir = await tempMaildir();
    const { repo } = maildir;
    await repo.listFolders();
    await repo.reserveFlags('INBOX', keywords);
    const again = await repo.reserveFlags('INBOX', [...keywords].reverse());
    expect(again.map((r) => r.flag).sort()).toEqual(keywords.slice(26));
  });

  it('a letter freed later goes to the first keyword asked that has none', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await repo.reserveFlags('INBOX', keywords);
    await writeFile(join(root, 'dovecot-keywords'), (await fileLines(root)).filter((line) => !line.startsWith('3 ')).join('\n') + '\n');
    // $k03 is no longer in use: the first keyword without a letter gets its letter.
    const refused = await repo.reserveFlags('INBOX', keywords.filter((k) => k !== '$k03'));
    expect(refused.map((r) => r.flag)).toEqual(keywords.slice(27));
    expect(await fileLines(root)).toContain('3 $k26');
  });

  it('on a dry run answers the same without writing dovecot-keywords', async () => {
    maildir = await tempMaildir();
    const { root, repo } = maildir;
    await repo.listFolders();
    await repo.reserveFlags('INBOX', keywords.slice(0, 20));
    const before = await readFile(join(root, 'dovecot-keywords'), 'utf8');
    const dry = new DryRunMaildir({ root, dryRun: true });
    const refused = await dry.reserveFlags('INBOX', [...keywords].reverse());
    expect(refused.map((r) => r.flag)).toEqual(keywords.slice(20, 24).reverse());
    expect(await readFile(join(root, 'dovecot-keywords'), 'utf8')).toBe(before);
  });
});

describe('KeywordTable.flagsOf', () => {
  it('gives files with the same info letters one flag list, and a letter named later its keyword', () => {
    const table = KeywordTable.parse('0 work\n');
    expect(table.flagsOf('Sab')).toEqual(['\\Seen', 'work']);
    expect(table.flagsOf('Sab')).toBe(table.flagsOf('Sab'));
    expect(table.allocate(['home'])).toEqual({ added: true, refused: [] });
    expect(table.flagsOf('Sab')).toEqual(['\\Seen', 'work', 'home']);
  });
});
