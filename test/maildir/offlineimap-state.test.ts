// offlineimap's records as imapfw reads them: the account found in its
// metadata directory, the server's UIDVALIDITY among its repositories', the
// files of this folder told by their FMD5 from files moved in from another,
// and a record refused (with why) where believing it could delete the wrong
// message.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { offlineimapAccountDir } from '../../src/core/maildir/offlineimap-account.js';
import { readOfflineimapRecord } from '../../src/core/maildir/offlineimap-state.js';
import { openSqlite } from '../../src/core/state/open-sqlite.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');

let meta: string;
afterEach(() => rmSync(meta, { recursive: true, force: true }));

/** A metadata directory as offlineimap leaves it: the account's status rows of `folder`, each repository's UIDVALIDITY. */
function metadata(folder: string, rows: [unknown, unknown][], validities: Record<string, string> = { local: '42', remote: '1700000000' }): string {
  meta = mkdtempSync(join(tmpdir(), 'imapfw-offlineimap-'));
  const account = join(meta, 'Account-laptop');
  mkdirSync(join(account, 'LocalStatus-sqlite'), { recursive: true });
  const db = openSqlite(join(account, 'LocalStatus-sqlite', folder));
  db.exec('CREATE TABLE metadata (key VARCHAR(50) PRIMARY KEY, value VARCHAR(128)); CREATE TABLE status (id INTEGER PRIMARY KEY, flags VARCHAR(50), mtime INTEGER, labels VARCHAR(256))');
  const insert = db.prepare("INSERT INTO status VALUES (?, ?, 0, '')");
  for (const [id, flags] of rows) insert.run(id, flags);
  db.close();
  for (const [repository, value] of Object.entries(validities)) {
    mkdirSync(join(meta, `Repository-${repository}`, 'FolderValidity'), { recursive: true });
    writeFileSync(join(meta, `Repository-${repository}`, 'FolderValidity', folder), `${value}\n`);
  }
  return account;
}

describe('readOfflineimapRecord', () => {
  it("pairs each synced UID with this folder's file, leaving out files moved in from another folder", () => {
    const account = metadata('Lists.dev', [[1, 'S'], [2, 'FS'], [3, ''], [4, 'P']]);
    const ids = [`1700_1.9.host,U=1,FMD5=${md5('Lists.dev')}`, `1700_2.9.host,U=2,FMD5=${md5('INBOX')}`, '1700_3.9.host,U=3', `1700_4.9.host,U=4,FMD5=${md5('Lists/dev')}`];
    expect(readOfflineimapRecord(account, 'Lists/dev', ids, '1700000000')).toEqual({
      tool: 'offlineimap',
      serverUidValidity: '1700000000',
      pairs: [
        { server: '1', here: ids[0], flags: ['\\Seen'] },
        { server: '2', here: 'offlineimap:U=2', flags: ['\\Flagged', '\\Seen'] },
        { server: '3', here: ids[2], flags: [] },
        { server: '4', here: ids[3], flags: [] },
      ],
    });
  });

  it('is undefined where offlineimap kept no record of the folder', () => {
    expect(readOfflineimapRecord(metadata('INBOX', []), 'Sent', [], '1700000000')).toBeUndefined();
  });

  it.each([
    ['the server was renumbered since', [[1, 'S']], { remote: '1800000000' }, /UIDVALIDITY is 1700000000 now, and its repositories recorded 1800000000/],
    ['no repository recorded a UIDVALIDITY', [[1, 'S']], {}, /no repository beside .* recorded the server folder's UIDVALIDITY/],
    ['a row has flags offlineimap never writes', [[1, 'Sx']], undefined, /is not as offlineimap writes it: a row reads \{"id":1,"flags":"Sx"\}/],
  ] as const)('refuses the record when %s', (_, rows, validities, why) => {
    const account = metadata('INBOX', [...rows] as [unknown, unknown][], validities);
    expect(readOfflineimapRecord(account, 'INBOX', ['a,U=1'], '1700000000')?.unusable).toMatch(why);
  });

  it('refuses the plain-text format, which it does not read', () => {
    meta = mkdtempSync(join(tmpdir(), 'imapfw-offlineimap-'));
    mkdirSync(join(meta, 'Account-laptop', 'LocalStatus'), { recursive: true });
    writeFileSync(join(meta, 'Account-laptop', 'LocalStatus', 'INBOX'), '1:S\n');
    expect(readOfflineimapRecord(join(meta, 'Account-laptop'), 'INBOX', [], '1')?.unusable).toMatch(/plain-text format \(status_backend = plain\)/);
  });
});

describe('offlineimapAccountDir', () => {
  it('takes the account directory, or the metadata directory of one account', () => {
    const account = metadata('INBOX', []);
    expect(offlineimapAccountDir(account)).toBe(account);
    expect(offlineimapAccountDir(meta)).toBe(account);
  });

  it('names the accounts when there are several, and refuses a directory that is none of them', () => {
    metadata('INBOX', []);
    mkdirSync(join(meta, 'Account-work'));
    expect(() => offlineimapAccountDir(meta)).toThrow(ConfigError);
    expect(() => offlineimapAccountDir(meta)).toThrow(/holds several accounts \(Account-laptop, Account-work\): give the one of this Maildir/);
    expect(() => offlineimapAccountDir(join(meta, 'Repository-local'))).toThrow(/holds no Account-\* directory/);
    expect(() => offlineimapAccountDir(join(meta, 'nowhere'))).toThrow(/is not a directory/);
  });
});
