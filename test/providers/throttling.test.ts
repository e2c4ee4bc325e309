// The providers' throttling and limit answers, played by the scripted server:
// the run waits as told (or backs off) and completes, or stops as partial on a
// daily limit, saying when to run again, and the next run completes; nothing twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp, type AppRun } from '../support/cli-run.js';
import { startScriptedImap, type Hook, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { refuse } from '../support/scripted-imap/misbehaviours.js';
import { localMessages, localFolders } from '../mirror/helpers.js';
import { makeMessage } from '../support/messages.js';

let server: ScriptedImapServer | undefined;
let dir: string | undefined;
afterEach(async () => {
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
  server = dir = undefined;
});

const TOTAL = 30;

async function setUp(): Promise<{ server: ScriptedImapServer; dir: string }> {
  server = await startScriptedImap({
    folders: [
      { name: 'INBOX', messages: Array.from({ length: TOTAL / 2 }, (_, i) => ({ body: makeMessage({ subject: `inbox ${i}` }) })) },
      { name: 'Archive', messages: Array.from({ length: TOTAL / 2 }, (_, i) => ({ body: makeMessage({ subject: `archive ${i}` }) })) },
    ],
  });
  dir = mkdtempSync(join(tmpdir(), 'imapfw-throttle-'));
  return { server, dir };
}

function mirror(target: ScriptedImapServer, where: string): Promise<AppRun<{ complete: boolean; copied: number; errors: { code?: string; message: string }[] }>> {
  return startApp<{ complete: boolean; copied: number; errors: { code?: string; message: string }[] }>(
    'mirror',
    ['--remote', target.url('alice'), '--password-env', 'PW', '--maildir', join(where, 'Maildir'), '--state-dir', join(where, 'state'), '--json', '--max-connections', '2'],
    { env: { PW: target.users.alice! }, timeoutMs: 120_000 },
  ).done;
}

/** Every message of the server exactly once in the Maildir. */
function expectMirrored(where: string): void {
  const subjects = localFolders(join(where, 'Maildir')).flatMap((folder) => localMessages(join(where, 'Maildir'), folder).map((message) => message.subject));
  expect(subjects).toHaveLength(TOTAL);
  expect(new Set(subjects).size).toBe(TOTAL);
}

/** The BYE Gmail sends when a session's token or time ran out, then the connection closes. */
const sessionExpired = (): Hook => async (ctx) => {
  await ctx.untagged('BYE Session expired, please login again.');
  ctx.drop();
};

describe('throttling and limit answers of the providers', { timeout: 240_000 }, () => {
  it("Microsoft's 'Request is throttled. Suggested Backoff Time', Gmail's [THROTTLED] and a session-expired BYE: the run waits, reconnects and completes", async () => {
    const { server, dir } = await setUp();
    const rules = [
      server.script.on('UID FETCH', refuse('Request is throttled. Suggested Backoff Time: 400 milliseconds'), { nth: 1 }),
      server.script.on('UID FETCH', refuse('Too many commands, slow down', 'THROTTLED'), { nth: 2 }),
      server.script.on('UID FETCH', sessionExpired(), { nth: 3 }),
    ];
    const run = await mirror(server, dir);
    expect(run.code, run.stdout + run.stderr.slice(-2000)).toBe(0);
    expect(run.summary).toMatchObject({ complete: true, errors: [] });
    // Each answer was given as scripted, and the run went on after it.
    expect(rules.map((rule) => rule.fired)).toEqual([1, 1, 1]);
    expectMirrored(dir);
  });

  it("Gmail's daily bandwidth limit: the run stops as partial (exit 1) saying when to run again; the next run completes with nothing twice", async () => {
    const { server, dir } = await setUp();
    server.script.on('UID FETCH', refuse('Account exceeded command or bandwidth limits. (Failure)', 'OVERQUOTA'), { from: 3 });
    const first = await mirror(server, dir);
    expect(first.code, first.stdout + first.stderr.slice(-2000)).toBe(1);
    expect(first.summary?.errors.map((error) => error.code)).toContain('EDAILYLIMIT');
    expect(first.stdout + first.stderr).toMatch(/Run again after \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

    server.script.clear();
    const second = await mirror(server, dir);
    expect(second.code, second.stdout + second.stderr.slice(-2000)).toBe(0);
    expect((first.summary?.copied ?? 0) + (second.summary?.copied ?? 0)).toBe(TOTAL);
    expectMirrored(dir);
  });
});
