// A laptop that kept its mail with offlineimap's default local layout
// (`sep = .`: INBOX/, Sent/ and Lists.dev/ side by side, each a Maildir,
// with offlineimap's file names), switching to `imapfw sync --layout flat`
// on the same tree. Read in another layout the tree would get a second
// INBOX and every message downloaded again: that is refused, naming the
// option. With it, every message pairs by identity, and what changed on
// either side since goes across, new folders named as offlineimap names them.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { describeRun, runSync, serverView, syncDirs, type SyncDirs } from './support.js';

const SERVER = { INBOX: 3, Sent: 2, 'Lists/dev': 2 } as const;
const ALL = Object.values(SERVER).reduce((n, count) => n + count, 0);
/** offlineimap's directory for each server folder ('/' becomes its `sep`). */
const DIR: Record<string, string> = { INBOX: 'INBOX', Sent: 'Sent', 'Lists/dev': 'Lists.dev' };

let server: DovecotServer;
let dirs: SyncDirs;
let mail: string;

const raw = (folder: string, i: number) => makeMessage({ messageId: `<${folder.replace('/', '-')}-${i}@offlineimap.test>`, subject: `${folder} ${i}` });

beforeAll(async () => {
  server = await startDovecot({ users: { laptop: 'laptop-pw' } });
  dirs = syncDirs();
  mail = join(dirs.root, 'Mail');
  for (const [folder, count] of Object.entries(SERVER)) {
    await appendMessages(server, 'laptop', folder, Array.from({ length: count }, (_, i) => ({ raw: raw(folder, i), flags: ['\\Seen'] })));
    // As offlineimap left them: its own file names (U=uid, FMD5 of the folder name), read mail in cur/ with S.
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(mail, DIR[folder]!, sub), { recursive: true });
    for (let i = 0; i < count; i++) writeFileSync(join(mail, DIR[folder]!, 'cur', `1700000000_${i}.4242.laptop,U=${i + 1},FMD5=0123456789abcdef:2,S`), raw(folder, i));
  }
});

afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

const sync = (args: string[]) => runSync(server, 'laptop', { ...dirs, maildir: mail }, { args });
const files = (dir: string) => ['cur', 'new'].flatMap((sub) => readdirSync(join(mail, dir, sub)));

describe("switching from offlineimap's default layout (sep = .)", () => {
  it('refuses the layouts that would misread the tree, then pairs every message and syncs what changed since, folders named as offlineimap names them', async () => {
    for (const layout of [[], ['--layout', 'nested']]) {
      const refused = await sync(layout);
      expect(refused.code, describeRun(refused)).toBe(2);
      expect(refused.stderr.trim()).toMatch(/^imapfw sync: .*\/Mail holds folders named as offlineimap names them by default \(Lists\.dev\/ beside INBOX\/: its "sep = \."\): run with --layout flat to read them/);
    }
    expect(readdirSync(mail).sort()).toEqual(['INBOX', 'Lists.dev', 'Sent']);

    const dryRun = await sync(['--layout', 'flat', '--dry-run']);
    expect(dryRun.code, describeRun(dryRun)).toBe(0);
    expect(dryRun.summary).toMatchObject({ copied: 0, paired: ALL, foldersCreated: 0, errors: [], skipped: [] });

    // Since offlineimap last ran: a message written on the laptop in Lists.dev, one delivered on the server in a new folder.
    writeFileSync(join(mail, 'Lists.dev', 'cur', '1790000000.laptop.host:2,S'), makeMessage({ messageId: '<written@laptop.test>', subject: 'from the laptop' }));
    await appendMessages(server, 'laptop', 'Projects/2025', [{ raw: makeMessage({ messageId: '<delivered@server.test>', subject: 'on the server' }) }]);

    const first = await sync(['--layout', 'flat']);
    expect(first.code, describeRun(first)).toBe(0);
    // The new folder's parent is made with it, as in every layout.
    expect(first.summary).toMatchObject({ copied: 2, paired: ALL, foldersCreated: 1, errors: [], skipped: [], complete: true });
    expect(readdirSync(mail).sort()).toEqual(['INBOX', 'Lists.dev', 'Projects', 'Projects.2025', 'Sent']);
    expect(existsSync(join(mail, 'cur')), 'no second INBOX at the top').toBe(false);
    expect(files('Projects.2025')).toHaveLength(1);
    expect((await serverView(server, 'laptop'))['Lists/dev']).toContain('<written@laptop.test> \\Seen');
    expect(files('INBOX')).toHaveLength(SERVER.INBOX);

    const again = await sync(['--layout', 'flat']);
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.summary).toMatchObject({ copied: 0, paired: 0, flagsChanged: 0, complete: true });
  });

  it('a server folder with a "." in its name, which offlineimap wrote as two levels: neither side gets a second copy; renamed as told, it pairs', async () => {
    await appendMessages(server, 'laptop', 'Lists/node.js', [{ raw: raw('node.js', 0) }]);
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(mail, 'Lists.node.js', sub), { recursive: true });
    writeFileSync(join(mail, 'Lists.node.js', 'cur', '1700000000_9.4242.laptop,U=1,FMD5=fedcba9876543210:2,'), raw('node.js', 0));
    const folders = async () => Object.keys(await serverView(server, 'laptop')).sort();
    const before = { server: await folders(), local: readdirSync(mail).sort() };

    const ambiguous = await sync(['--layout', 'flat']);
    expect(ambiguous.code, describeRun(ambiguous)).toBe(1);
    expect(ambiguous.summary!.skipped.map((item) => item.folder).sort()).toEqual(['Lists/node.js', 'Lists/node/js']);
    expect(ambiguous.summary!.skipped[0]!.reason).toMatch(/"Lists\/node\.js" \(left\) and "Lists\/node\/js" \(right\) differ only where .* %2E/);
    expect(ambiguous.summary).toMatchObject({ copied: 0, foldersCreated: 0 });
    expect({ server: await folders(), local: readdirSync(mail).sort() }).toEqual(before);

    renameSync(join(mail, 'Lists.node.js'), join(mail, 'Lists.node%2Ejs'));
    const renamed = await sync(['--layout', 'flat']);
    expect(renamed.code, describeRun(renamed)).toBe(0);
    expect(renamed.summary).toMatchObject({ copied: 0, paired: 1, foldersCreated: 0, skipped: [], complete: true });
  });
});
