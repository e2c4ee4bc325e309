// A mailbox is shared with other clients and with the server's own
// housekeeping (RFC 3501 5.5, 7.1.5): messages vanish between a listing and
// the fetch of their bodies, folders are renamed between runs, the server
// says BYE in the middle of a command. Nothing is lost or doubled.
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { bye } from '../support/scripted-imap/misbehaviours.js';
import { SCENARIO_TIMEOUT, expectEachOnce, expectRun, mail, maildirIds, runLocalApp, scenarioDirs, serverIds, type ScenarioDirs } from './support.js';

let server: ScriptedImapServer;
let dirs: ScenarioDirs;

afterEach(async () => {
  await server?.stop();
  dirs?.remove();
});

const fetchesBodies = (text: string): boolean => /BODY\.PEEK\[\]/i.test(text);

describe('other clients and the server itself', () => {
  it('a message expunged by another client between the listing and the body fetch: the rest is copied, nothing is invented', { timeout: SCENARIO_TIMEOUT }, async () => {
    server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [mail('x1'), mail('x2'), mail('x3')].map((body) => ({ body })) }] });
    server.script.on(
      'UID FETCH',
      (ctx, next) => {
        const inbox = ctx.account.get('INBOX');
        ctx.account.expunge('INBOX', [inbox.messages[1]!.uid]);
        return next();
      },
      { when: (ctx) => fetchesBodies(ctx.text), times: 1 },
    );
    dirs = scenarioDirs();
    const run = await runLocalApp('mirror', server, dirs);
    expectRun(run, dirs, run.code === ExitCode.OK ? ExitCode.OK : ExitCode.PARTIAL);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));

    server.script.clear();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));
  });

  it('a folder renamed by another client between runs: with --delete-folders its messages end up once, under the new name', { timeout: SCENARIO_TIMEOUT }, async () => {
    server = await startScriptedImap({ folders: [{ name: 'Archive' }, { name: 'Projects', messages: [mail('p1'), mail('p2')].map((body) => ({ body, flags: ['\\Seen'] })) }] });
    dirs = scenarioDirs();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);

    const folder = server.account.get('Projects');
    server.account.folders.delete('Projects');
    folder.name = 'Archive/Projects';
    server.account.folders.set(folder.name, folder);
    expectRun(await runLocalApp('mirror', server, dirs, ['--delete-folders']), dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));
    expectEachOnce(maildirIds(dirs.maildir), 'Maildir');
  });

  it('BYE in the middle of the listing: the network exit code and what happened, nothing deleted, then complete', { timeout: SCENARIO_TIMEOUT }, async () => {
    server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [mail('b1'), mail('b2')].map((body) => ({ body })) }] });
    dirs = scenarioDirs();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);
    const before = maildirIds(dirs.maildir);

    server.script.on('UID FETCH', bye('Server shutting down'));
    server.account.addMessage('INBOX', { body: mail('b3') });
    const cut = await runLocalApp('mirror', server, dirs);
    expectRun(cut, dirs, ExitCode.NETWORK, /INBOX/);
    expect(maildirIds(dirs.maildir)).toEqual(before);

    server.script.clear();
    expectRun(await runLocalApp('mirror', server, dirs), dirs, ExitCode.OK);
    expect(maildirIds(dirs.maildir)).toEqual(serverIds(server));
  });
});
