// migrate --delete-source checks that the target folder is not the source
// folder itself before deleting (test/migrate/migrate.test.ts: one Dovecot
// behind a proxy). Two accounts can look like one folder by chance: the same
// UIDVALIDITY (servers that number it per account, or two folders made in
// the same second) and a source with no gap in its UIDs, so every copy
// lands at its source UID. A keyword set on the target tells them apart;
// where the target refuses it, nothing is deleted and the error says why.
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import { PROBE_KEYWORD } from '../../src/apps/migrate/same-folder.js';
import { refuse } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { SCENARIO_TIMEOUT, expectRun, mail, runMigrateScripted, scenarioDirs, serverIds, type ScenarioDirs } from './support.js';

const UID_VALIDITY = 7;

let servers: ScriptedImapServer[] = [];
let dirs: ScenarioDirs;

/** A source INBOX with UIDs 1..3 and an empty target INBOX, both under UIDVALIDITY 7. */
async function alikeAccounts(): Promise<{ from: ScriptedImapServer; to: ScriptedImapServer }> {
  const from = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [mail('a1'), mail('a2'), mail('a3')].map((body) => ({ body })) }] });
  const to = await startScriptedImap();
  servers.push(from, to);
  for (const server of [from, to]) server.account.get('INBOX').uidValidity = UID_VALIDITY;
  dirs = scenarioDirs();
  return { from, to };
}

const targetFlags = (server: ScriptedImapServer) => Object.values(server.account.snapshot()).flatMap((messages) => messages.flatMap((message) => message.flags));

afterEach(async () => {
  for (const server of servers) await server.stop();
  servers = [];
  dirs?.remove();
});

describe('migrate --delete-source to a target alike by chance', () => {
  it('the probe keyword tells the two apart: the source is deleted, the target keeps every copy and no probe', { timeout: SCENARIO_TIMEOUT }, async () => {
    const { from, to } = await alikeAccounts();
    const sourceIds = serverIds(from);
    const probes = to.script.on('UID STORE', (_ctx, next) => next(), { when: (ctx) => ctx.text.includes(PROBE_KEYWORD) });
    const run = await runMigrateScripted(from, to, dirs, ['--delete-source']);
    expectRun(run, dirs, ExitCode.OK);
    expect(run.summary).toMatchObject({ transferred: 3, deletedFromSource: 3 });
    // The copies sit at the source's UIDs: the check had to probe (set, then removed).
    expect(to.account.snapshot().INBOX!.map((message) => message.uid)).toEqual([1, 2, 3]);
    expect(probes.fired).toBe(2);
    expect(serverIds(to)).toEqual(sourceIds);
    expect(serverIds(from)).toEqual({ INBOX: [] });
    expect(targetFlags(to)).not.toContain(PROBE_KEYWORD);
  });

  it('a target that refuses the keyword: nothing deleted, an error that says why, exit 1', { timeout: SCENARIO_TIMEOUT }, async () => {
    const { from, to } = await alikeAccounts();
    const sourceIds = serverIds(from);
    to.script.on('UID STORE', refuse('Keywords not allowed'), { when: (ctx) => ctx.text.includes(PROBE_KEYWORD) });
    const run = await runMigrateScripted(from, to, dirs, ['--delete-source']);
    expectRun(run, dirs, ExitCode.PARTIAL, /--delete-source withheld: the target folder \W+INBOX\W+ cannot be told from the source folder \(the same UIDVALIDITY 7,/);
    expect(run.summary).toMatchObject({ transferred: 3, deletedFromSource: 0, verified: { missing: 0 } });
    expect(serverIds(to)).toEqual(sourceIds);
    expect(serverIds(from)).toEqual(sourceIds);
  });
});
