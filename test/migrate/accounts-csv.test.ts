import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseCsv, readAccountsCsv } from '../../src/apps/migrate/accounts-csv.js';
import { accountName, checkDistinctAccounts, parseMapRule } from '../../src/apps/migrate/args.js';

const EXAMPLE = fileURLToPath(new URL('./fixtures/accounts.example.csv', import.meta.url));
const dir = mkdtempSync(path.join(os.tmpdir(), 'imapfw-csv-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function csvFile(text: string): string {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, text);
  chmodSync(file, 0o600);
  return file;
}

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF lines and a BOM', () => {
    expect(parseCsv('\uFEFFa,b\r\n"x, y","say ""hi"""\n"two\nlines",\n')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['x, y', 'say "hi"'] },
      { line: 3, fields: ['two\nlines', ''] },
    ]);
  });

  it('refuses a quote that is never closed, naming its line', () => {
    expect(() => parseCsv('a\n"open\n')).toThrow(/line 2/);
  });
});

describe('one account as both source and target', () => {
  // Every message would be "on the target" already, and --delete-source would delete them all (it did).
  it.each([
    ['the same URL', 'imaps://me@mail.example.org', 'imaps://me@mail.example.org'],
    ['the host in another case, the default port spelled out', 'imaps://me@mail.example.org', 'imaps://me@MAIL.example.org:993'],
    ['localhost and 127.0.0.1', 'imap://me@localhost:1143', 'imap://me@127.0.0.1:1143'],
  ])('is refused: %s', (_, from, to) => {
    expect(() => checkDistinctAccounts('--from and --to', from, to)).toThrow(/^--from and --to: the source and the target are one account \(me on /);
  });

  it.each([
    ['another user', 'imaps://me@mail.example.org', 'imaps://you@mail.example.org'],
    ['another host', 'imaps://me@old.example.org', 'imaps://me@new.example.org'],
    ['another port (another server on the host)', 'imap://me@127.0.0.1:1143', 'imap://me@127.0.0.1:2143'],
  ])('is not: %s', (_, from, to) => {
    expect(() => checkDistinctAccounts('--from and --to', from, to)).not.toThrow();
  });

  it('a batch line with it is refused, naming the line', () => {
    const file = csvFile('from,from_password_env,to,to_password_env\nimaps://a@x.org,A,imaps://b@y.org,B\nimaps://me@x.org,P,imaps://me@x.org,P\n');
    expect(() => readAccountsCsv(file)).toThrow(/:3: the source and the target are one account/);
  });
});

describe('readAccountsCsv', () => {
  it('reads the OAuth2 sources: an imapfw login address, a token command', () => {
    const file = csvFile('from,from_oauth2,to,to_oauth2_token_command\nimaps://a%40gmail.com@imap.gmail.com,a@gmail.com,imaps://a%40contoso.com@outlook.office365.com,oama access a@contoso.com\n');
    const [account] = readAccountsCsv(file);
    expect(account).toMatchObject({ fromPassword: { oauth2: 'a@gmail.com' }, toPassword: { oauth2Command: 'oama access a@contoso.com' } });
  });

  it('reads the example: URLs, host and user columns, the three password sources, default names', () => {
    const accounts = readAccountsCsv(EXAMPLE);
    expect(accounts).toEqual([
      { name: 'alice', from: 'imaps://alice@old.example.org', fromPassword: { env: 'OLD_ALICE' }, to: 'imaps://alice@new.example.org', toPassword: { command: 'pass show new/alice' } },
      {
        name: 'bob',
        from: 'imaps://bob%40example.org@old.example.org:10993',
        fromPassword: { value: 's3cret, with "quotes"' },
        to: 'imaps://bob%40example.org@new.example.org',
        toPassword: { command: 'pass show new/bob' },
      },
      {
        name: accountName('imap://carol@old.example.org', 'imaps://carol@new.example.org:9993'),
        from: 'imap://carol@old.example.org',
        fromPassword: { command: 'pass show old/carol' },
        to: 'imaps://carol@new.example.org:9993',
        toPassword: { command: 'pass show new/carol' },
      },
    ]);
  });

  it.each([
    ['from,to_password_env\nimap://a@h,X\n', /unknown column "from"|no to account/],
    ['form,to\n', /unknown column "form"/],
    ['from,from_password_env,to,to_password_env\n', /no account below the header/],
    ['from,from_password_env,to,to_password_env\nimap://a@h,A,imap://b@h\n', /:2: 3 fields, the header has 4/],
    ['from,from_password,from_password_env,to,to_password_env\nimap://a@h,pw,A,imap://b@h,B\n', /:2: give exactly one of from_password.*got from_password and from_password_env/],
    ['from,to,to_password_env\nimap://a@h,imap://b@h,B\n', /:2: give exactly one of from_password.*none given/],
    ['from_host,from_user,from_security,from_password_env,to,to_password_env\nh,u,ssl,A,imap://b@h,B\n', /from_security must be tls or starttls/],
    ['name,from,from_password_env,to,to_password_env\nx,imap://a@h,A,imap://b@h,B\nx,imap://c@h,A,imap://d@h,B\n', /two accounts named "x"/],
    ['from,from_password_env,to,to_password_env\nimap://a@h,A,ftp://b@h,B\n', /:2: to: url "ftp:\/\/b@h" must start with imaps:\/\//],
    ['from,from_password_env,to,to_password_env\nimap://h,A,imap://b@h,B\n', /:2: from: url "imap:\/\/h" has no user/],
  ])('refuses a bad file with a message naming the line or column (%#)', (text, message) => {
    expect(() => readAccountsCsv(csvFile(text))).toThrow(message);
  });

  it('skips empty lines and comments', () => {
    const accounts = readAccountsCsv(csvFile('# accounts\nfrom,from_password_env,to,to_password_env\n\n# a comment, with commas\nimap://a@h,A,imap://b@h,B\n'));
    expect(accounts.map((a) => a.from)).toEqual(['imap://a@h']);
  });
});

describe('parseMapRule', () => {
  it("splits at the first '='", () => {
    expect(parseMapRule('^Lists/(.*)$=Mailing/$1')).toEqual({ pattern: '^Lists/(.*)$', replacement: 'Mailing/$1' });
    expect(parseMapRule('^Old$=a=b')).toEqual({ pattern: '^Old$', replacement: 'a=b' });
    expect(() => parseMapRule('=x')).toThrow(/REGEX=REPLACEMENT/);
  });
});
