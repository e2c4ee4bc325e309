// The migrate app end to end, on real Dovecot servers: one with '/' as its
// hierarchy separator where users migrate to each other, and one with '.'.
import { existsSync, readdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MigrateSummary } from '../../src/apps/migrate/summary.js';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startStallingProxy } from '../support/stalling-proxy.js';
import { appendMessages, imapClient, listServerMessages, makeMessage, type SeedMessage } from '../support/messages.js';
import { folderDifferences, readFolder, runMigrate, serverFolders, tempDir, type Side } from './support.js';

const FLAGS: string[][] = [[], ['\\Seen'], ['\\Seen', '\\Flagged', 'project-x'], ['\\Answered', '$Label1'], ['\\Draft'], ['\\Seen', 'NonJunk']];

/** `count` messages with varied flags and keywords, dates a day apart; the first `withoutMessageId` have no Message-ID; `big` every 4th of 60 kB. */
function seeds(folder: string, count: number, options: { withoutMessageId?: number; duplicates?: number; big?: boolean } = {}): SeedMessage[] {
  const messages: SeedMessage[] = [];
  for (let i = 0; i < count; i++) {
    const date = new Date(Date.UTC(2023, 0, 1 + i, 10, 30, 15));
    messages.push({
      raw: makeMessage({
        subject: `${folder} #${i}`,
        date,
        size: options.big && i % 4 === 3 ? 60_000 : 400 + i * 37,
        ...(i < (options.withoutMessageId ?? 0) ? { messageId: null, body: `no Message-ID: ${folder} ${i}\n` } : {}),
      }),
      flags: FLAGS[i % FLAGS.length]!,
      internalDate: date,
    });
  }
  for (let d = 0; d < (options.duplicates ?? 0); d++) messages.push({ ...messages[d * 3 + 2]!, flags: ['\\Seen'] });
  return messages;
}

const FOLDERS: Record<string, SeedMessage[]> = {
  INBOX: seeds('INBOX', 24, { withoutMessageId: 2, duplicates: 1 }),
  'Archive/2024': seeds('Archive/2024', 15),
  'Lists/dev': seeds('Lists/dev', 12, { withoutMessageId: 1 }),
  'Sent Items': seeds('Sent Items', 6),
};
const TOTAL = Object.values(FOLDERS).reduce((n, list) => n + list.length, 0);

let server: DovecotServer;
let dotServer: DovecotServer;
const dirs: { remove(): void }[] = [];
const side = (user: string, on = server): Side => ({ server: on, user });
const alice = () => side('alice');

function stateDir(): string {
  const made = tempDir();
  dirs.push(made);
  return made.dir;
}

async function seed(target: Side, folders: Record<string, SeedMessage[]>): Promise<void> {
  for (const [folder, messages] of Object.entries(folders)) await appendMessages(target.server, target.user, folder, messages);
}

async function expectSameMail(from: Side, to: Side, names: Record<string, string>): Promise<void> {
  for (const [source, target] of Object.entries(names)) {
    expect(await folderDifferences(from, source, to, target), `${source} -> ${target}`).toEqual([]);
  }
}

const identity = Object.fromEntries(Object.keys(FOLDERS).map((name) => [name, name]));

beforeAll(async () => {
  const users = Object.fromEntries(['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'gina', 'jack', 'kate', 'lena', 'mona'].map((user) => [user, `${user}-pw`]));
  [server, dotServer] = await Promise.all([startDovecot({ users }), startDovecot({ users: { hank: 'hank-pw', ivan: 'ivan-pw' }, separator: '.' })]);
  await seed(alice(), FOLDERS);
});

afterAll(async () => {
  await Promise.all([server?.stop(), dotServer?.stop()]);
  for (const dir of dirs) dir.remove();
});

describe('migrate', () => {
  it('copies every folder with flags, keywords and INTERNALDATE, verifies it, and a second run copies nothing', async () => {
    const state = stateDir();
    const first = await runMigrate(alice(), side('bob'), state);
    expect(first.code, describeAppRun(first)).toBe(0);
    expect(first.summary).toMatchObject({
      complete: true,
      transferred: TOTAL,
      alreadyPresent: 0,
      verified: { selected: TOTAL, present: TOTAL, missing: 0 },
      duplicates: { source: 1, target: 1 },
      withoutMessageId: 3,
      errors: [],
      skipped: [],
    });
    expect(first.summary!.bytes).toBeGreaterThan(0);
    await expectSameMail(alice(), side('bob'), identity);

    const uidsBefore = await listServerMessages(server, 'bob', 'INBOX');
    const second = await runMigrate(alice(), side('bob'), state);
    expect(second.code, describeAppRun(second)).toBe(0);
    expect(second.summary).toMatchObject({ complete: true, transferred: 0, alreadyPresent: 0, alreadyMigrated: TOTAL, flagsChanged: 0 });
    expect(await listServerMessages(server, 'bob', 'INBOX')).toEqual(uidsBefore);
    await expectSameMail(alice(), side('bob'), identity);
  });

  it('prints a human summary that ends with one line saying whether the migration is complete', async () => {
    const run = await runMigrate(alice(), side('gina'), stateDir(), ['--folders', 'Lists/**'], { json: false });
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.stdout).toMatch(/^ {2}transferred +12 messages/m);
    expect(run.stdout).toMatch(/^ {2}verified +12 of 12 selected source messages found on the target, 0 missing/m);
    expect(run.stdout).toMatch(/^ {2}without Message-ID +1 /m);
    const results = run.stdout.split('\n').filter((line) => /^ {2}result /.test(line));
    expect(results).toHaveLength(1);
    expect(results[0]).toMatch(/COMPLETE: all 12 selected source messages are on the target/);
  });

  it('recognises messages another tool already put on the target (other UIDs) and copies only the rest', async () => {
    const carol = side('carol');
    // Half of INBOX and all of Archive/2024, in reverse order, so UIDs differ from the source's.
    await seed(carol, { INBOX: FOLDERS.INBOX!.slice(0, 12).reverse(), 'Archive/2024': [...FOLDERS['Archive/2024']!].reverse() });
    const run = await runMigrate(alice(), carol, stateDir());
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, alreadyPresent: 12 + 15, transferred: TOTAL - 12 - 15 });
    await expectSameMail(alice(), carol, identity);
  });

  it('--dry-run changes nothing on either server and creates no state', async () => {
    const state = stateDir();
    const sourceBefore = await Promise.all(Object.keys(FOLDERS).map((folder) => listServerMessages(server, 'alice', folder)));
    const run = await runMigrate(alice(), side('dave'), state, ['--dry-run']);
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ dryRun: true, transferred: TOTAL, complete: false });
    expect(run.summary!.planned).toEqual(expect.arrayContaining(['create folder Archive/2024 on the target', 'Archive/2024 -> Archive/2024: 15 to copy, 0 already on the target']));
    expect(await serverFolders(side('dave'))).toEqual(['INBOX']);
    expect(await readFolder(side('dave'), 'INBOX')).toEqual([]);
    expect(await Promise.all(Object.keys(FOLDERS).map((folder) => listServerMessages(server, 'alice', folder)))).toEqual(sourceBefore);
    expect(existsSync(state) ? readdirSync(state).filter((name) => name.endsWith('.sqlite')) : []).toEqual([]);
  });

  it('copies again the messages whose copy vanished from the target since: the next run ends COMPLETE, without duplicates', async () => {
    const lena = side('lena');
    const state = stateDir();
    const first = await runMigrate(alice(), lena, state, ['--folders', 'Sent Items']);
    expect(first.code, describeAppRun(first)).toBe(0);
    // Two copies vanish from the target: a server that dropped them after its OK, or someone deleting them.
    const client = await imapClient(server, 'lena');
    try {
      await client.mailboxOpen('Sent Items');
      expect(await client.messageDelete('1:2', { uid: true })).toBe(true);
    } finally {
      await client.logout();
    }
    const second = await runMigrate(alice(), lena, state, ['--folders', 'Sent Items']);
    expect(second.code, describeAppRun(second)).toBe(0);
    expect(second.summary).toMatchObject({ complete: true, transferred: 2, verified: { missing: 0 } });
    await expectSameMail(alice(), lena, { 'Sent Items': 'Sent Items' });
  });

  it('--delete-source deletes exactly the messages found on the target; what was not selected stays', async () => {
    const frank = side('frank');
    const erin = side('erin');
    const mail = { INBOX: seeds('frank INBOX', 12, { big: true, withoutMessageId: 1 }), Keep: seeds('frank Keep', 3) };
    await seed(frank, mail);
    const run = await runMigrate(frank, erin, stateDir(), ['--delete-source', '--max-size', '50000', '--exclude', 'Keep']);
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, transferred: 9, notSelected: 3, skipped: [], deletedFromSource: 9 });
    const left = await readFolder(frank, 'INBOX');
    expect(left.map((m) => m.size > 50_000)).toEqual([true, true, true]);
    expect(await readFolder(frank, 'Keep')).toHaveLength(3);
    const moved = await readFolder(erin, 'INBOX');
    expect(moved).toHaveLength(9);
    expect(moved.every((m) => m.size <= 50_000)).toBe(true);
    expect(new Set(moved.map((m) => m.id)).size).toBe(9);
  });

  it('--delete-source onto the source account reached another way (a proxy): refused with exit 2, nothing deleted, no probe left', async () => {
    const mona = side('mona');
    await seed(mona, { INBOX: seeds('mona INBOX', 5), Work: seeds('mona Work', 3) });
    const before = { INBOX: await readFolder(mona, 'INBOX'), Work: await readFolder(mona, 'Work') };
    // Another port of the same Dovecot: the names differ, so only the run can tell.
    const proxy = await startStallingProxy({ port: server.port });
    try {
      const run = await startApp<MigrateSummary>('migrate', ['--from', server.url('mona'), '--to', `imap://mona@127.0.0.1:${proxy.port}`, '--from-password-env', 'PW', '--to-password-env', 'PW', '--state-dir', stateDir(), '--delete-source', '--json'], {
        env: { PW: 'mona-pw' },
      }).done;
      expect(run.code, describeAppRun(run)).toBe(2);
      // Both folders were probed and both refused; nothing else went wrong.
      expect(run.summary!.errors.map((error) => [error.folder, error.code])).toEqual([
        ['INBOX', 'ECONFIG'],
        ['Work', 'ECONFIG'],
      ]);
      for (const error of run.summary!.errors) expect(error.message).toMatch(/^--delete-source refused: the target folder "\w+" is this source folder itself .*nothing was deleted/);
      expect(run.summary).toMatchObject({ deletedFromSource: 0, verified: { selected: 8, present: 8 } });
      const human = await startApp('migrate', ['--from', server.url('mona'), '--to', `imap://mona@127.0.0.1:${proxy.port}`, '--from-password-env', 'PW', '--to-password-env', 'PW', '--state-dir', stateDir(), '--delete-source'], {
        env: { PW: 'mona-pw' },
      }).done;
      expect(human.code, describeAppRun(human)).toBe(2);
      expect(human.stdout.trim().split('\n').at(-1)).toMatch(/^ {2}result +REFUSED: the command is wrong \(see the errors above\); fix it before running again$/);
    } finally {
      await proxy.close();
    }
    expect({ INBOX: await readFolder(mona, 'INBOX'), Work: await readFolder(mona, 'Work') }).toEqual(before);
  });

  it('maps folders to a server with another separator: --automap, --map, --to-prefix', async () => {
    const hank = side('hank', dotServer);
    await seed(hank, { Sent: [] });
    const mapped = await runMigrate(alice(), hank, stateDir(), ['--automap', '--map', '^Lists/(.*)$=Mailing/$1']);
    expect(mapped.code, describeAppRun(mapped)).toBe(0);
    expect(mapped.summary).toMatchObject({ complete: true, transferred: TOTAL });
    // The '.' server names the folders with its own separator.
    const names = await serverFolders(hank);
    expect(names).toEqual(expect.arrayContaining(['Archive.2024', 'INBOX', 'Mailing.dev', 'Sent']));
    expect(names.filter((name) => /Lists|Sent Items|\//.test(name))).toEqual([]);
    await expectSameMail(alice(), hank, { INBOX: 'INBOX', 'Archive/2024': 'Archive.2024', 'Lists/dev': 'Mailing.dev', 'Sent Items': 'Sent' });

    const ivan = side('ivan', dotServer);
    const prefixed = await runMigrate(alice(), ivan, stateDir(), ['--to-prefix', 'Old', '--folders', 'INBOX', 'Lists/**']);
    expect(prefixed.code, describeAppRun(prefixed)).toBe(0);
    expect((await serverFolders(ivan)).filter((name) => name !== 'Old' && name !== 'Old.Lists')).toEqual(['INBOX', 'Old.Lists.dev']);
    await expectSameMail(alice(), ivan, { INBOX: 'INBOX', 'Lists/dev': 'Old.Lists.dev' });
  });

  it('--max-age and --min-age select by INTERNALDATE; --just-folders creates the folders only', async () => {
    const jack = side('jack');
    const day = 86_400_000;
    const dated = (ageDays: number): SeedMessage => ({ raw: makeMessage({ subject: `${ageDays} days old` }), flags: [], internalDate: new Date(Date.now() - ageDays * day) });
    await seed(jack, { INBOX: [dated(1), dated(10), dated(40), dated(400)] });
    const run = await runMigrate(jack, side('kate'), stateDir(), ['--max-age', '100', '--min-age', '5']);
    expect(run.code, describeAppRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, transferred: 2, notSelected: 2, skipped: [], verified: { selected: 2, present: 2, missing: 0 } });
    const ages = (await readFolder(side('kate'), 'INBOX')).map((m) => Math.round((Date.now() - m.internalDate) / day)).sort((a, b) => a - b);
    expect(ages).toEqual([10, 40]);

    const folders = await runMigrate(alice(), side('kate'), stateDir(), ['--just-folders']);
    expect(folders.code, describeAppRun(folders)).toBe(0);
    expect(folders.summary).toMatchObject({ transferred: 0, foldersCreated: 3 });
    expect(await serverFolders(side('kate'))).toEqual(expect.arrayContaining(['Archive/2024', 'Lists/dev', 'Sent Items']));
    expect(await readFolder(side('kate'), 'Lists/dev')).toEqual([]);
  });

  it('refuses bad options with exit code 2 and a message naming the option', async () => {
    const state = stateDir();
    for (const [args, pattern] of [
      [['--map', 'no-equals-sign'], /--map "no-equals-sign"/],
      [['--delete-source', '--dry-run'], /--delete-source and --dry-run/],
      [['--max-age', 'soon'], /days/],
      [['--parallel', '3'], /--parallel and --results go with --batch/],
      [['--threads', '2'], /--threads goes with --batch/],
    ] as const) {
      const run = await runMigrate(alice(), side('bob'), state, [...args]);
      expect(run.code, describeAppRun(run)).toBe(2);
      expect(run.stderr).toMatch(pattern);
    }
    // A bad URL is told once, naming its option, before any connection starts.
    for (const [from, to, pattern] of [
      ['http://mail.example.com', server.url('bob'), /^imapfw migrate: --from: url "http:\/\/mail\.example\.com" must start with imaps:\/\//],
      [server.url('alice'), 'imaps://mail.example.com', /^imapfw migrate: --to: url "imaps:\/\/mail\.example\.com" has no user/],
      // One account as both: with --delete-source, every message was found "on the target" and deleted.
      [server.url('alice'), server.url('alice').replace('127.0.0.1', 'localhost'), /^imapfw migrate: --from and --to: the source and the target are one account \(alice on /],
    ] as const) {
      const run = await startApp('migrate', ['--from', from, '--to', to, '--from-password-env', 'PW', '--to-password-env', 'PW', '--state-dir', state], { env: { PW: 'pw' } }).done;
      expect(run.code, describeAppRun(run)).toBe(2);
      expect(run.stderr.trim().split('\n')).toEqual([expect.stringMatching(pattern)]);
    }
  });
});
