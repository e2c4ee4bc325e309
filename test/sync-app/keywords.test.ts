// Keywords the local Maildir cannot hold (a folder holds 26: dovecot-keywords
// letters a-z), end to end against a real Dovecot: `sync` never removes them
// on the server, says once which were not stored and why, and a rerun finds
// the folder unchanged; `mirror`'s state records what the Maildir holds.
import { readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openSqlite } from '../../src/core/state/open-sqlite.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, listServerMessages, makeMessage } from '../support/messages.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { startApp } from '../support/cli-run.js';
import { describeRun, localFile, localFolderDir, NOTHING_DONE, runSync, setLocalFlags, syncDirs, type SyncDirs, type SyncRun, type SyncSummary } from './support.js';
import { mirrorDirs, runMirror, USER as MIRROR_USER, type MirrorDirs } from '../mirror/support.js';

const KEYWORDS = Array.from({ length: 32 }, (_, i) => `$tag${String(i).padStart(2, '0')}`);
/** The least used keywords: every message carries $tag00-$tag05, one message all 32. */
const MOST_USED = KEYWORDS.slice(0, 6);
const SPARE = KEYWORDS.slice(6);

let server: DovecotServer;
const dirs: { remove(): void }[] = [];

beforeAll(async () => {
  server = await startDovecot({ users: { tags: 'tags-pw', [MIRROR_USER]: 'alice-pw' } });
  for (const user of ['tags', MIRROR_USER]) {
    await appendMessages(server, user, 'INBOX', [
      { raw: makeMessage({ messageId: '<all@kw.test>', subject: 'all' }), flags: ['\\Seen', ...KEYWORDS] },
      { raw: makeMessage({ messageId: '<some@kw.test>', subject: 'some' }), flags: [...MOST_USED, ...SPARE.slice(0, 10)] },
      { raw: makeMessage({ messageId: '<few@kw.test>', subject: 'few' }), flags: MOST_USED },
    ]);
  }
});
afterAll(async () => {
  await server?.stop();
  for (const dir of dirs) dir.remove();
});

/** The server's messages of INBOX by Message-ID: their flags, sorted. */
async function serverFlags(user: string): Promise<Record<string, string[]>> {
  const messages = await listServerMessages(server, user, 'INBOX');
  return Object.fromEntries(messages.map((m) => [m.messageId!, [...m.flags].sort()]));
}

function expectComplete(run: SyncRun): void {
  expect(run.code, describeRun(run)).toBe(0);
  expect(run.summary?.complete, describeRun(run)).toBe(true);
}

describe('keywords the Maildir cannot hold', () => {
  it('sync: the server keeps every keyword through syncs and a local change; the summary says which were not stored; a rerun is unchanged', async () => {
    const sync: SyncDirs = syncDirs();
    dirs.push(sync);
    const before = await serverFlags('tags');
    expect(before['<all@kw.test>'], 'the server holds all 32 keywords').toEqual(['\\Seen', ...KEYWORDS].sort());

    const first = await runSync(server, 'tags', sync);
    expectComplete(first);
    expect(first.summary!.copied).toBe(3);
    expect(await serverFlags('tags')).toEqual(before);
    // The 26 letters went to the most used keywords (then by name): the last 6 by name of the spare ones are not stored.
    const notStored = KEYWORDS.slice(26);
    const warnings = first.summary!.warnings ?? [];
    expect(warnings, describeRun(first)).toHaveLength(1);
    expect(warnings[0]!.folder).toBe('INBOX');
    expect(warnings[0]!.message).toContain(notStored.join(' '));
    expect(warnings[0]!.message).toMatch(/26 keyword letters/);
    const keywordsFile = readFileSync(join(sync.maildir, 'dovecot-keywords'), 'utf8');
    for (const keyword of notStored) expect(keywordsFile).not.toContain(keyword);
    expect(localFile(sync.maildir, 'INBOX', '<all@kw.test>').letters).toHaveLength(27); // S + 26 keyword letters

    const second = await runSync(server, 'tags', sync);
    expectComplete(second);
    expect(second.summary).toMatchObject({ ...NOTHING_DONE, foldersUnchanged: second.summary!.folders });
    expect(await serverFlags('tags')).toEqual(before);

    // A local change: \Flagged added on one message, and a stored keyword removed from another.
    setLocalFlags(sync.maildir, 'INBOX', '<all@kw.test>', ['\\Seen', '\\Flagged']);
    const few = localFile(sync.maildir, 'INBOX', '<few@kw.test>');
    const tag00 = String.fromCharCode(0x61 + keywordsFile.split('\n').findIndex((line) => line.endsWith(' $tag00')));
    renameSync(few.path, join(sync.maildir, 'cur', `${few.unique}:2,${few.letters.replace(tag00, '')}`));
    const third = await runSync(server, 'tags', sync);
    expectComplete(third);
    expect(third.summary!.flagsChanged, describeRun(third)).toBe(2);
    expect(await serverFlags('tags')).toEqual({
      ...before,
      '<all@kw.test>': ['\\Flagged', '\\Seen', ...KEYWORDS].sort(),
      '<few@kw.test>': MOST_USED.slice(1),
    });

    const fourth = await runSync(server, 'tags', sync);
    expectComplete(fourth);
    expect(fourth.summary).toMatchObject({ ...NOTHING_DONE, foldersUnchanged: fourth.summary!.folders });
    expect(fourth.summary!.warnings).toBeUndefined();
  }, 600_000);

  it("mirror: the state records the keywords the Maildir does not hold, and a rerun is unchanged", async () => {
    const mirror: MirrorDirs = mirrorDirs();
    dirs.push(mirror);
    const first = await runMirror(server, mirror);
    expect(first.code, describeRun(first)).toBe(0);
    expect(first.summary!.warnings?.[0]?.message).toContain(KEYWORDS.slice(26).join(' '));

    const [database] = readdirSync(mirror.state).filter((name) => name.endsWith('.sqlite'));
    const db = openSqlite(join(mirror.state, database!), { readonly: true });
    try {
      const rows = db.prepare('SELECT flags, not_held FROM pairs').all() as { flags: string; not_held: string | null }[];
      const all = rows.find((row) => JSON.parse(row.flags).length === 33)!;
      expect(JSON.parse(all.not_held!)).toEqual({ right: KEYWORDS.slice(26) });
      const few = rows.find((row) => JSON.parse(row.flags).length === MOST_USED.length)!;
      expect(few.not_held).toBeNull();
    } finally {
      db.close();
    }

    const second = await runMirror(server, mirror);
    expect(second.code, describeRun(second)).toBe(0);
    expect(second.summary).toMatchObject({ copied: 0, flagsChanged: 0, foldersUnchanged: second.summary!.folders });
  }, 300_000);

  it("sync: a keyword the server's PERMANENTFLAGS do not allow stays local, is not sent, and is never removed locally", async () => {
    const scripted: ScriptedImapServer = await startScriptedImap({
      users: { bob: 'bob-pw' },
      folders: [{ name: 'INBOX', messages: [{ body: makeMessage({ messageId: '<one@kw.test>', subject: 'one' }), flags: ['\\Seen'] }] }],
    });
    // The server keeps the system flags and $Server, and no other keyword (no \*).
    scripted.script.on(/^(SELECT|EXAMINE)$/, (ctx, next) => {
      ctx.mapUntagged((bytes) => Buffer.from(bytes.toString('latin1').replace(/\[PERMANENTFLAGS \((.*?)\\\*\)\]/, '[PERMANENTFLAGS ($1$Server)]'), 'latin1'));
      return next();
    });
    const sync: SyncDirs = syncDirs();
    dirs.push(sync);
    const run = () =>
      startApp<SyncSummary>('sync', ['--remote', scripted.url('bob'), '--maildir', sync.maildir, '--password-env', 'PW', '--state-dir', sync.state, '--json'], { env: { PW: 'bob-pw' } }).done;
    const serverFlags = () => [...scripted.account.snapshot()['INBOX']![0]!.flags].sort();
    try {
      expectComplete(await run());
      // The mail client tags the message with both keywords.
      const file = localFile(sync.maildir, 'INBOX', '<one@kw.test>');
      writeFileSync(join(localFolderDir(sync.maildir, 'INBOX'), 'dovecot-keywords'), '0 $Local\n1 $Server\n');
      renameSync(file.path, join(sync.maildir, 'cur', `${file.unique}:2,${file.letters}ab`));

      const second = await run();
      expectComplete(second);
      expect(serverFlags()).toEqual(['$Server', '\\Seen']);
      expect(second.summary!.warnings?.map((w) => w.message).join('\n'), describeRun(second)).toMatch(/\$Local not stored in the left folder "INBOX": the server keeps no flag .*PERMANENTFLAGS/);

      const third = await run();
      expectComplete(third);
      expect(third.summary).toMatchObject(NOTHING_DONE);
      expect(localFile(sync.maildir, 'INBOX', '<one@kw.test>').letters).toBe('Sab');
      expect(serverFlags()).toEqual(['$Server', '\\Seen']);
      expect(scripted.commands('UID STORE').map((command) => command.text).join('\n')).not.toContain('$Local');
    } finally {
      await scripted.stop();
    }
  }, 600_000);
});
