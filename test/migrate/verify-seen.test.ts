// The check after a folder's copy lists both sides afresh, but does not ask
// the servers again for identities the run saw already under the same
// UIDVALIDITY (the copies found again after their APPEND, the messages the
// plan identified): a UID names the same message for as long as that lasts.
// What it did not see (a message delivered to the target meanwhile, a copy
// gone since) is still checked against the servers.
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import { uidList } from '../../src/core/imap/multi-append.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { SCENARIO_TIMEOUT, expectRun, mail, runMigrateScripted, scenarioDirs, serverIds, type ScenarioDirs } from '../distrust/support.js';

let servers: ScriptedImapServer[] = [];
let dirs: ScenarioDirs | undefined;

afterEach(async () => {
  for (const server of servers) await server.stop();
  servers = [];
  dirs?.remove();
});

const withoutId = (tag: string) => Buffer.from(`From: a@x.example\r\nSubject: ${tag}\r\n\r\nNo Message-ID here: ${tag}.\r\n`);

/** How many times each UID of `folder` had its identity asked for: its Message-ID header (`what` 'header'), or its whole body (a message without one). */
function identified(server: ScriptedImapServer, folder: string, what: 'header' | 'body'): Map<number, number> {
  const counts = new Map<number, number>();
  for (const command of server.commands('UID FETCH')) {
    if (command.folder !== folder || !(what === 'header' ? /HEADER\.FIELDS \(MESSAGE-ID\)/i : /BODY\.PEEK\[\]/i).test(command.text)) continue;
    const set = /UID FETCH (\S+)/i.exec(command.text)![1]!;
    for (const part of set.split(',')) for (const uid of uidList(part) ?? []) counts.set(uid, (counts.get(uid) ?? 0) + 1);
  }
  return counts;
}

describe('the check after a migrated folder', () => {
  it('identifies again only what the run did not see: each copy once (after its APPEND), a message delivered meanwhile by the check', { timeout: SCENARIO_TIMEOUT }, async () => {
    const bodies = [mail('one'), mail('two'), withoutId('three'), mail('four'), withoutId('five')];
    const from = await startScriptedImap({ folders: [{ name: 'INBOX', messages: bodies.map((body) => ({ body })) }] });
    const to = await startScriptedImap();
    servers = [from, to];
    // Someone delivers a message to the target while the copy runs: the check has not seen it, and asks.
    let delivered = false;
    to.script.on('APPEND', async (ctx, next) => {
      await next();
      if (!delivered) to.account.addMessage('INBOX', { body: mail('meanwhile') });
      delivered = true;
    });
    dirs = scenarioDirs();
    const run = await runMigrateScripted(from, to, dirs);
    expectRun(run, dirs, ExitCode.OK);
    expect(run.summary).toMatchObject({ transferred: 5, complete: true, verified: { selected: 5, present: 5, missing: 0 } });
    const target = to.account.get('INBOX').messages;
    expect(target).toHaveLength(6);
    // Each copy asked once, right after its APPEND (the body of one without Message-ID too); the message delivered meanwhile once, by the check.
    const [headers, wholeBodies] = [identified(to, 'INBOX', 'header'), identified(to, 'INBOX', 'body')];
    for (const { uid, body } of target) {
      expect(headers.get(uid) ?? 0, `target UID ${uid}`).toBe(1);
      expect(wholeBodies.get(uid) ?? 0, `target UID ${uid}`).toBe(/^Message-ID:/im.test(body.toString('latin1')) ? 0 : 1);
    }
    for (const what of ['header', 'body'] as const) for (const [uid, n] of identified(from, 'INBOX', what)) expect(n, `source UID ${uid}`).toBeLessThanOrEqual(1);
    expect(serverIds(to).INBOX).toHaveLength(6);
  });
});
