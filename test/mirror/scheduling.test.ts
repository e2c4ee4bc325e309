// Scheduling: once no folder is left to start, idle engines borrow copies of the folders still running and copy
// them with their own connections (SyncAccount.syncAll, SharedCopies), with the same intents and commits per batch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages } from '../support/messages.js';
import { describeRun, makeMessages, mirrorDifferences, mirrorDirs, readState, runMirror, seedAccount, USER, type MirrorDirs } from './support.js';

let server: DovecotServer;
let dirs: MirrorDirs;

beforeAll(async () => {
  server = await startDovecot({ users: { [USER]: 'sched-pw' }, rawlog: true });
  dirs = mirrorDirs();
});

afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

/** The sessions that fetched message bodies while `folder` was selected in them. */
function sessionsFetchingBodies(sessions: string[][], folder: string): number {
  return sessions.filter((commands) => {
    let selected: string | undefined;
    return commands.some((command) => {
      const opened = /^(?:SELECT|EXAMINE) "?([^"(]+?)"?(?: \(|$)/i.exec(command);
      if (opened) selected = opened[1];
      return selected === folder && /^UID FETCH .*BODY\.PEEK\[\]/i.test(command);
    });
  }).length;
}

describe('scheduling', () => {
  it('idle connections help the big folder still copying; every message once, the folder reported whole, no intent left open', async () => {
    const FOLDERS = ['Big', 'INBOX', 'Small'];
    await seedAccount(server, [
      { folder: 'Big', count: 900 },
      { folder: 'Small', count: 3 },
    ]);

    const run = await runMirror(server, dirs, { args: ['--max-connections', '2'] });
    expect(run.code, describeRun(run)).toBe(0);
    expect(run.summary).toMatchObject({ folders: 3, copied: 903, errors: [], skipped: [], complete: true });
    expect(await mirrorDifferences(server, dirs.maildir, FOLDERS)).toEqual([]);
    expect(readState(dirs.state)).toEqual({ pairs: { Big: 900, INBOX: 0, Small: 3 }, openIntents: 0 });
    // The small folders are done long before the big one: its connection then fetched the big folder's bodies too.
    expect(sessionsFetchingBodies(await server.commandsBySession(), 'Big')).toBe(2);

    const again = await runMirror(server, dirs, { args: ['--max-connections', '2'] });
    expect(again.summary).toMatchObject({ folders: 3, foldersUnchanged: 3, copied: 0, complete: true });
  });

  it("a rerun logs in once and opens only the folders the listing's LIST-STATUS shows changed", async () => {
    const opened = (sessions: string[][]) => sessions.flat().flatMap((command) => /^(?:SELECT|EXAMINE) "?([^"( ]+)/i.exec(command)?.[1] ?? []);
    const before = (await server.commandsBySession()).length;
    const noop = await runMirror(server, dirs);
    expect(noop.summary, describeRun(noop)).toMatchObject({ folders: 3, copied: 0, errors: [], complete: true });
    const noopSessions = (await server.commandsBySession()).slice(before);
    expect(noopSessions).toHaveLength(1);
    expect(opened(noopSessions)).toEqual([]);

    await appendMessages(server, USER, 'Small', makeMessages({ folder: 'Small', count: 2 }, 5000));
    const mark = (await server.commandsBySession()).length;
    const changed = await runMirror(server, dirs);
    expect(changed.summary, describeRun(changed)).toMatchObject({ folders: 3, copied: 2, errors: [], complete: true });
    // Opened once, by the engine that syncs it: knowing which folders to open needs no SELECT.
    expect(opened((await server.commandsBySession()).slice(mark))).toEqual(['Small']);
    expect(await mirrorDifferences(server, dirs.maildir, ['Big', 'INBOX', 'Small'])).toEqual([]);
  });
});
