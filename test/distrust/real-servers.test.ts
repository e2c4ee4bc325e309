// What real servers do that Dovecot does not, found in client issue
// trackers (imapflow, node-imap, imapclient, chatmail, DavMail, Proton
// Bridge): each must cost no message, no duplicate, no hang, no leak.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import { startScriptedImap, withoutCapabilities, type ScriptedImapOptions, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { refuse, unsolicitedFlags, withoutUidNext, wrongAppendUid } from '../support/scripted-imap/misbehaviours.js';
import { SCENARIO_TIMEOUT, expectEachOnce, expectRun, idOf, mail, maildirIds, runLocalApp, runMigrateScripted, scenarioDirs, serverIds, type ScenarioDirs } from './support.js';

let servers: ScriptedImapServer[] = [];
let dirs: ScenarioDirs;

async function server(options: ScriptedImapOptions): Promise<ScriptedImapServer> {
  const started = await startScriptedImap(options);
  servers.push(started);
  return started;
}

afterEach(async () => {
  for (const s of servers) await s.stop();
  servers = [];
  dirs?.remove();
});

/** Drops a message into the local INBOX as a mail client would. */
function deliverLocally(body: Buffer, name: string): void {
  writeFileSync(path.join(dirs.maildir, 'new', `1700000000.${name}.host`), body);
}

describe('behaviours of real servers', () => {
  it('Gmail: unsolicited FETCH (UID FLAGS) rows amid the listing are not messages of their own', { timeout: SCENARIO_TIMEOUT }, async () => {
    const imap = await server({ folders: [{ name: 'INBOX', messages: [mail('g1'), mail('g2'), mail('g3')].map((body) => ({ body, flags: ['\\Seen'] })) }] });
    imap.script.on('UID FETCH', unsolicitedFlags({ withUid: true, which: (_row, i) => i === 1 }));
    dirs = scenarioDirs();
    const run = await runLocalApp('mirror', imap, dirs);
    expectRun(run, dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(imap));
    expectEachOnce(maildirIds(dirs.maildir), 'Maildir');
  });

  it('Winmail / 163.com: no UIDNEXT in SELECT or STATUS, no UIDPLUS: a local message is uploaded once, and once only', { timeout: SCENARIO_TIMEOUT }, async () => {
    const imap = await server({ capabilities: withoutCapabilities('UIDPLUS', 'CONDSTORE', 'QRESYNC'), folders: [{ name: 'INBOX', messages: [{ body: mail('w1') }] }] });
    imap.script.on(/^(SELECT|EXAMINE|STATUS)$/, withoutUidNext());
    dirs = scenarioDirs();
    expectRun(await runLocalApp('sync', imap, dirs), dirs, ExitCode.OK);

    const local = mail('local');
    deliverLocally(local, 'winmail');
    const upload = await runLocalApp('sync', imap, dirs);
    expectRun(upload, dirs, upload.code === ExitCode.OK ? ExitCode.OK : ExitCode.PARTIAL);

    imap.script.clear();
    for (let i = 0; i < 2; i += 1) expectRun(await runLocalApp('sync', imap, dirs), dirs, ExitCode.OK);
    expect(serverIds(imap).INBOX!.filter((id) => id === idOf(local))).toHaveLength(1);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(imap));
    expectEachOnce(serverIds(imap), 'server');
  });

  it('DavMail: APPENDUID with UID and UIDVALIDITY swapped is not believed', { timeout: SCENARIO_TIMEOUT }, async () => {
    const imap = await server({ folders: [{ name: 'INBOX', messages: [{ body: mail('d1') }] }] });
    dirs = scenarioDirs();
    expectRun(await runLocalApp('sync', imap, dirs), dirs, ExitCode.OK);

    imap.script.on('APPEND', wrongAppendUid('swapped'));
    const local = [mail('local1'), mail('local2')];
    local.forEach((body, i) => deliverLocally(body, `davmail${i}`));
    const upload = await runLocalApp('sync', imap, dirs);
    expectRun(upload, dirs, upload.code === ExitCode.OK ? ExitCode.OK : ExitCode.PARTIAL);

    imap.script.clear();
    for (let i = 0; i < 2; i += 1) expectRun(await runLocalApp('sync', imap, dirs), dirs, ExitCode.OK);
    for (const body of local) expect(serverIds(imap).INBOX!.filter((id) => id === idOf(body))).toHaveLength(1);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(imap));
    expectEachOnce(serverIds(imap), 'server');
  });

  it('Proton Bridge: UID EXPUNGE answered NO although UIDPLUS is offered: --delete-source loses nothing, and finishes once the server is well', { timeout: SCENARIO_TIMEOUT }, async () => {
    const from = await server({ folders: [{ name: 'INBOX', messages: [mail('p1'), mail('p2')].map((body) => ({ body })) }] });
    const to = await server({});
    const sourceIds = serverIds(from);
    from.script.on('UID EXPUNGE', refuse('UID EXPUNGE failed'));
    from.script.on('EXPUNGE', refuse('EXPUNGE failed'));
    dirs = scenarioDirs();
    const refused = await runMigrateScripted(from, to, dirs, ['--delete-source']);
    expectRun(refused, dirs, ExitCode.PARTIAL, /EXPUNGE failed/);
    expect(serverIds(to)).toEqual(sourceIds);
    expect(serverIds(from)).toEqual(sourceIds);

    from.script.clear();
    const again = await runMigrateScripted(from, to, dirs, ['--delete-source']);
    expectRun(again, dirs, ExitCode.OK);
    expect(serverIds(to)).toEqual(sourceIds);
    expect(serverIds(from).INBOX).toEqual([]);
  });
});
