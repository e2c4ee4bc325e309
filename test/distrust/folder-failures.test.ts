// One bad folder fails alone, nothing is skipped without a word, and no secret
// or control sequence from a server reaches the user: the real CLI (mirror,
// sync) against the scripted misbehaving server.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, type ReportedError, type SkippedItem } from '../../src/api/index.js';
import type { RunSummary } from '../../src/contrib/cli/summary.js';
import { describeAppRun, startApp, type AppRun } from '../support/cli-run.js';
import { makeMessage } from '../support/messages.js';
import { echoPassword, nilBody, refuseMailbox } from '../support/scripted-imap/misbehaviours.js';
import { textOf } from '../support/scripted-imap/wire.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';

const ESC = '\u001b';
const PASSWORD = 'S3cret-echoed-pw';
const LONG = 'L'.repeat(300);

let server: ScriptedImapServer | undefined;
let root: string | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  if (root) rmSync(root, { recursive: true, force: true });
});

interface Dirs {
  maildir: string;
  state: string;
}

function dirs(): Dirs {
  root = mkdtempSync(path.join(os.tmpdir(), 'imapfw-distrust-'));
  return { maildir: path.join(root, 'Maildir'), state: path.join(root, 'state') };
}

function run(app: 'mirror' | 'sync', d: Dirs, args: string[] = []): Promise<AppRun<RunSummary>> {
  const all = ['--remote', server!.url('alice'), '--maildir', d.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', d.state, ...args];
  return startApp<RunSummary>(app, all, { env: { IMAPFW_TEST_PW: server!.users.alice! }, timeoutMs: 150_000 }).done;
}

function messages(folder: string, count: number): { body: string; flags: string[] }[] {
  return Array.from({ length: count }, (_, i) => ({ body: makeMessage({ subject: `${folder} #${i}` }).toString('latin1'), flags: ['\\Seen'] }));
}

/** Subjects of the messages in a Maildir folder directory (cur/ and new/). */
function localSubjects(dir: string): string[] {
  return ['cur', 'new'].flatMap((sub) => {
    let names: string[] = [];
    try {
      names = readdirSync(path.join(dir, sub));
    } catch {
      return [];
    }
    return names.map((name) => subjectOf(readFileSync(path.join(dir, sub, name), 'latin1')));
  }).sort();
}

function serverSubjects(folder: string): string[] {
  return (server!.account.snapshot()[folder] ?? []).map((message) => subjectOf(message.body.toString('latin1'))).sort();
}

function subjectOf(raw: string): string {
  return /^Subject: (.*)$/m.exec(raw)?.[1]?.trim() ?? '';
}

/** Writes a message file into a local Maildir folder directory (creating it), as a mail client would. */
function deliverLocally(dir: string, subject: string): void {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(path.join(dir, sub), { recursive: true });
  writeFileSync(path.join(dir, 'cur', `1700000000.M${Math.floor(Math.random() * 1e9)}P1.laptop:2,S`), makeMessage({ subject }));
}

/** Every path under `root` that is not inside the Maildir or the state directory. */
function strayPaths(d: Dirs): string[] {
  return readdirSync(root!).filter((name) => ![path.basename(d.maildir), path.basename(d.state)].includes(name));
}

const folders = (items: readonly (SkippedItem | ReportedError)[]) => items.map((item) => item.folder).sort();

describe('one bad folder fails alone', { timeout: 600_000 }, () => {
  it('sync: names no file system or server can hold are skipped, a refused CREATE is that folder\'s error, the rest syncs both ways; healed, a rerun completes', async () => {
    server = await startScriptedImap({
      delimiter: '.',
      folders: [
        { name: 'INBOX', messages: messages('INBOX', 2) },
        { name: 'Work', messages: messages('Work', 2) },
        { name: LONG, messages: messages('long', 1) },
        // Modified UTF-7 for a lone surrogate (U+D800).
        { name: 'Bad&2AA-Name', messages: messages('surrogate', 1) },
        { name: `Evil${ESC}[2J/x`, messages: messages('slash', 1) },
        { name: '.hidden', messages: messages('hidden', 1) },
      ],
    });
    server.script.on('CREATE', refuseMailbox(['Forbidden'], `Mailbox name not allowed${ESC}[2J`));
    const d = dirs();
    deliverLocally(d.maildir, 'local new in INBOX');
    deliverLocally(path.join(d.maildir, '.Forbidden'), 'local in Forbidden');
    deliverLocally(path.join(d.maildir, '.Loc%2Eal'), 'local in Loc.al');

    const first = await run('sync', d, ['--json']);
    expect(first.code, describeAppRun(first)).toBe(ExitCode.PARTIAL);
    const summary = first.summary!;
    expect(summary.complete).toBe(false);
    expect(folders(summary.skipped)).toEqual(['.hidden', 'Bad\ud800Name', `Evil${ESC}[2J/x`, LONG, 'Loc.al'].sort());
    for (const item of summary.skipped) expect(item.reason.length).toBeGreaterThan(10);
    expect(summary.skipped.find((item) => item.folder === LONG)!.reason).toMatch(/longer than 255 bytes/);
    expect(summary.skipped.find((item) => item.folder === 'Loc.al')!.reason).toMatch(/hierarchy delimiter/);
    expect(summary.errors.map((error) => [error.folder, error.message])).toEqual([['Forbidden', expect.stringContaining('Mailbox name not allowed')]]);
    // The rest synced, both ways.
    expect(localSubjects(path.join(d.maildir, '.Work'))).toEqual(['Work #0', 'Work #1']);
    expect(serverSubjects('INBOX')).toEqual(['INBOX #0', 'INBOX #1', 'local new in INBOX']);
    expect(localSubjects(d.maildir)).toEqual(['INBOX #0', 'INBOX #1', 'local new in INBOX']);
    expect(strayPaths(d)).toEqual([]);

    // The same run for a person: the summary names the folders, escaped.
    const human = await run('sync', d);
    expect(human.code, describeAppRun(human)).toBe(ExitCode.PARTIAL);
    expect(human.stdout).not.toContain(ESC);
    expect(human.stdout).toContain('Evil\\x1b[2J/x');
    expect(human.stdout).toMatch(/result +INCOMPLETE/);

    // Healed: the server takes the folder; the names nothing can hold are left out by the user.
    server.script.clear();
    const healed = await run('sync', d, ['--json', '--exclude', LONG, 'Bad*', 'Evil*/*', '.hidden', 'Loc.al']);
    expect(healed.code, describeAppRun(healed)).toBe(ExitCode.OK);
    expect(healed.summary).toMatchObject({ complete: true, skipped: [], errors: [] });
    expect(serverSubjects('Forbidden')).toEqual(['local in Forbidden']);
    expect(serverSubjects('INBOX')).toEqual(['INBOX #0', 'INBOX #1', 'local new in INBOX']);
    expect(localSubjects(d.maildir)).toEqual(['INBOX #0', 'INBOX #1', 'local new in INBOX']);
    expect(localSubjects(path.join(d.maildir, '.Work'))).toEqual(['Work #0', 'Work #1']);
    expect(serverSubjects('Work')).toEqual(['Work #0', 'Work #1']);
    expect(strayPaths(d)).toEqual([]);
  });

  it('sync: a folder the server will not delete is kept and synced again; the rest syncs', async () => {
    // An empty Trash: sync never removes a folder that still holds messages.
    server = await startScriptedImap({ folders: [{ name: 'Trash' }, { name: 'Work', messages: messages('Work', 1) }] });
    const d = dirs();
    const first = await run('sync', d, ['--json']);
    expect(first.code, describeAppRun(first)).toBe(ExitCode.OK);
    rmSync(path.join(d.maildir, '.Trash'), { recursive: true });
    server.account.addMessage('INBOX', messages('INBOX', 1)[0]!);
    server.script.on('DELETE', refuseMailbox(['Trash'], 'Cannot delete a special-use mailbox'));

    const refused = await run('sync', d, ['--json', '--remove', 'remote']);
    expect(refused.code, describeAppRun(refused)).toBe(ExitCode.PARTIAL);
    expect(refused.summary!.errors).toEqual([expect.objectContaining({ folder: 'Trash', message: expect.stringMatching(/Cannot delete a special-use mailbox.*synced again/) })]);
    expect(localSubjects(d.maildir)).toEqual(['INBOX #0']);

    server.script.clear();
    const again = await run('sync', d, ['--json', '--remove', 'remote']);
    expect(again.code, describeAppRun(again)).toBe(ExitCode.OK);
    expect(again.summary).toMatchObject({ complete: true, skipped: [], errors: [] });
    // The server kept Trash; it is a local folder again.
    expect(readdirSync(d.maildir)).toContain('.Trash');
    expect(Object.keys(server.account.snapshot())).toContain('Trash');
    expect(localSubjects(path.join(d.maildir, '.Work'))).toEqual(['Work #0']);
    expect(serverSubjects('Work')).toEqual(['Work #0']);
    expect(strayPaths(d)).toEqual([]);
  });
});

describe('no silent gaps', { timeout: 600_000 }, () => {
  it('mirror: a second INBOX in another case and a message whose body came back NIL are skipped with reasons; healed, a rerun completes', async () => {
    server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: messages('INBOX', 2) }, { name: 'Work', messages: messages('Work', 3) }] });
    server.script.on('LIST', (ctx, next) => {
      ctx.mapUntagged((data) => (/^\* LIST .*"?INBOX"?\r\n$/.test(data.toString('latin1')) ? [data, Buffer.from(data.toString('latin1').replace(/"?INBOX"?\r\n$/, 'Inbox\r\n'), 'latin1')] : data));
      return next();
    });
    server.script.on('UID FETCH', nilBody((row) => row.seq === 1), { when: (ctx) => ctx.session.selected?.folder.name === 'Work' });
    const d = dirs();

    const first = await run('mirror', d, ['--json']);
    expect(first.code, describeAppRun(first)).toBe(ExitCode.PARTIAL);
    const summary = first.summary!;
    expect(summary.complete).toBe(false);
    expect(summary.skipped).toEqual(
      expect.arrayContaining([
        { folder: 'Inbox', reason: expect.stringMatching(/"INBOX" and "Inbox"/) },
        { folder: 'Work', id: expect.stringMatching(/^\d+$/), reason: expect.stringMatching(/no body/) },
      ]),
    );
    expect(summary.skipped).toHaveLength(2);
    expect(summary.copied).toBe(4);
    expect(localSubjects(path.join(d.maildir, '.Work'))).toHaveLength(2);

    server.script.clear();
    const healed = await run('mirror', d, ['--json']);
    expect(healed.code, describeAppRun(healed)).toBe(ExitCode.OK);
    expect(healed.summary).toMatchObject({ complete: true, skipped: [], errors: [], copied: 1 });
    expect(localSubjects(path.join(d.maildir, '.Work'))).toEqual(serverSubjects('Work'));
    expect(localSubjects(d.maildir)).toEqual(serverSubjects('INBOX'));
    expect(strayPaths(d)).toEqual([]);
  });
});

describe('no leaks', { timeout: 600_000 }, () => {
  it.each(['trace', 'info'])('mirror at --log-level %s: a password the server echoes and its control sequences never reach stdout or stderr; the folder fails alone', async (level) => {
    server = await startScriptedImap({ users: { alice: PASSWORD }, folders: [{ name: 'INBOX', messages: messages('INBOX', 1) }, { name: 'Work', messages: messages('Work', 1) }] });
    server.script.on('EXAMINE', echoPassword((password) => `${ESC}]0;owned${ESC}\\${ESC}[2J no access, password was ${password}`), { when: (ctx) => textOf(ctx.args[0]) === 'Work' });
    const d = dirs();
    for (const json of [true, false]) {
      const out = await run('mirror', d, ['--log-level', level, ...(json ? ['--json'] : [])]);
      expect(out.code, describeAppRun(out)).toBe(ExitCode.PARTIAL);
      expect(out.stdout + out.stderr).not.toContain(PASSWORD);
      expect(out.stdout + out.stderr).not.toContain(ESC);
      if (json) {
        expect(out.summary!.errors).toEqual([expect.objectContaining({ folder: 'Work', message: expect.stringContaining('[redacted]') })]);
      } else {
        expect(out.stdout).toMatch(/Work: .*\\x1b\]0;owned.*\[redacted\]/);
      }
      expect(localSubjects(d.maildir)).toEqual(['INBOX #0']);
    }
    server.script.clear();
    const healed = await run('mirror', d, ['--json']);
    expect(healed.summary, describeAppRun(healed)).toMatchObject({ complete: true, errors: [], skipped: [] });
    expect(localSubjects(path.join(d.maildir, '.Work'))).toEqual(['Work #0']);
    expect(strayPaths(d)).toEqual([]);
  });
});
