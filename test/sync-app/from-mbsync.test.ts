// A laptop that kept its mail with mbsync, laid out as mbsync's manual has it
// (Path ~/Mail/, Inbox ~/Mail/INBOX, SubFolders Verbatim), switching to
// `imapfw sync` on the same Maildir. Read in another scheme, the tree would
// get a second INBOX at ~/Mail (or a second copy of every folder) and every
// message downloaded again beside the old copies: that is refused in one line
// naming the options that read it. With them, a dry run and the real run
// pair every message by identity and copy only what changed on either side
// since mbsync last ran; INBOX stays where mbsync kept it.
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { describeRun, runMbsync, runSync, serverView, syncDirs, type SyncDirs } from './support.js';

const PASSWORD = 'laptop-pw';
const SERVER = { INBOX: 3, Archive: 2, 'Lists/dev': 2, Entwürfe: 2 } as const;
const ALL = Object.values(SERVER).reduce((n, count) => n + count, 0);

let server: DovecotServer;
let dirs: SyncDirs;
let mail: string;

beforeAll(async () => {
  server = await startDovecot({ users: { laptop: PASSWORD } });
  dirs = syncDirs();
  mail = join(dirs.root, 'Mail');
  mkdirSync(mail);
  for (const [folder, count] of Object.entries(SERVER)) {
    await appendMessages(
      server,
      'laptop',
      folder,
      Array.from({ length: count }, (_, i) => ({ raw: makeMessage({ messageId: `<${folder}-${i}@mbsync.test>`, subject: `${folder} ${i}` }), flags: i === 0 ? ['\\Seen'] : [] })),
    );
  }
  runMbsync(server, 'laptop', dirs.root, [`Path ${mail}/`, `Inbox ${mail}/INBOX`, 'SubFolders Verbatim']);
});

afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

const sync = (args: string[]) => runSync(server, 'laptop', { ...dirs, maildir: mail }, { args });
/** A folder's messages, as mbsync left them (unseen ones in new/) and imapfw after it. */
const files = (folder: string) => ['cur', 'new'].flatMap((sub) => readdirSync(join(mail, folder, sub)).map((name) => `${sub}/${name}`));

describe("switching from mbsync (Path ~/Mail/, Inbox ~/Mail/INBOX, SubFolders Verbatim)", () => {
  it('refuses the schemes that would misread the tree, then pairs every message, syncs what changed since mbsync, and keeps INBOX where mbsync kept it', async () => {
    expect(files('INBOX')).toHaveLength(SERVER.INBOX);
    expect(files('Lists/dev')).toHaveLength(SERVER['Lists/dev']);

    const asMaildirPlusPlus = await sync([]);
    expect(asMaildirPlusPlus.code, describeRun(asMaildirPlusPlus)).toBe(2);
    expect(asMaildirPlusPlus.stderr.trim()).toMatch(/^imapfw sync: .*\/Mail holds folders in the nested layout \(Archive\/, Entw&APw-rfe\/, INBOX\/\) and no INBOX of its own: run with --layout nested --inbox INBOX/);
    const inboxAtRoot = await sync(['--layout', 'nested']);
    expect(inboxAtRoot.code, describeRun(inboxAtRoot)).toBe(2);
    expect(inboxAtRoot.stderr.trim()).toMatch(/^imapfw sync: .*\/Mail\/INBOX holds an INBOX .* run with --inbox INBOX/);
    expect(readdirSync(mail).sort()).toEqual(['Archive', 'Entw&APw-rfe', 'INBOX', 'Lists']);

    const scheme = ['--layout', 'nested', '--inbox', 'INBOX'];
    // mbsync names "Entwürfe" in modified UTF-7: read as it is, it would be a second folder (and one more on the server).
    expect(readdirSync(mail)).toContain('Entw&APw-rfe');
    const utf7 = await sync(scheme);
    expect(utf7.code, describeRun(utf7)).toBe(2);
    expect(utf7.summary?.errors.map((error) => error.message)).toEqual([expect.stringMatching(/has folders named in modified UTF-7, .* Rename them first: Entw&APw-rfe -> Entwürfe \("Entwürfe"\)$/)]);
    expect(readdirSync(mail).sort()).toEqual(['Archive', 'Entw&APw-rfe', 'INBOX', 'Lists']);
    expect(Object.keys(await serverView(server, 'laptop')).sort()).toEqual(['Archive', 'Entwürfe', 'INBOX', 'Lists/dev']);
    renameSync(join(mail, 'Entw&APw-rfe'), join(mail, 'Entwürfe'));

    const dryRun = await sync([...scheme, '--dry-run']);
    expect(dryRun.code, describeRun(dryRun)).toBe(0);
    expect(dryRun.summary).toMatchObject({ copied: 0, paired: ALL, foldersCreated: 0, errors: [], skipped: [] });

    // Since mbsync last ran: a message flagged and one written on the laptop, one delivered on the server.
    const seen = files('INBOX').find((name) => name.endsWith(',S'))!;
    renameSync(join(mail, 'INBOX', seen), join(mail, 'INBOX', `${seen.slice(0, -2)},FS`));
    writeFileSync(join(mail, 'Lists/dev', 'cur', '1790000000.laptop.host:2,S'), makeMessage({ messageId: '<written@laptop.test>', subject: 'from the laptop' }));
    await appendMessages(server, 'laptop', 'Archive', [{ raw: makeMessage({ messageId: '<delivered@server.test>', subject: 'on the server' }) }]);

    const first = await sync(scheme);
    expect(first.code, describeRun(first)).toBe(0);
    expect(first.summary).toMatchObject({ copied: 2, paired: ALL, foldersCreated: 0, errors: [], skipped: [], complete: true });
    expect(existsSync(join(mail, 'cur')), 'no second INBOX at the root').toBe(false);
    const view = await serverView(server, 'laptop');
    expect(view.INBOX).toContain('<INBOX-0@mbsync.test> \\Flagged \\Seen');
    expect(view['Lists/dev']).toContain('<written@laptop.test> \\Seen');
    expect(files('Archive')).toHaveLength(SERVER.Archive + 1);
    expect(Object.values(view).flat()).toHaveLength(ALL + 2);
    expect(files('Entwürfe')).toHaveLength(SERVER.Entwürfe);

    const again = await sync(scheme);
    expect(again.code, describeRun(again)).toBe(0);
    expect(again.summary).toMatchObject({ copied: 0, paired: 0, flagsChanged: 0, complete: true });
    expect(files('INBOX')).toHaveLength(SERVER.INBOX);
  });
});
