// `imapfw sync --watch` against a real Dovecot behind a loopback proxy that
// cuts connections: local changes (a new file, a flag, a move between
// folders, a deletion) reach the server while the daemon runs, a move as a
// move even when a pass over one of its folders alone sees it; a cut in the
// middle of IDLE is survived; offline (every connection refused) both sides
// change, and once the server is back the daemon reconnects (shortened
// backoff) and both sides converge, each message once. --on-change runs
// after the passes that changed something, and its failure is not fatal.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, listServerMessages, makeMessage } from '../support/messages.js';
import { tempDirs } from '../support/temp-dirs.js';
import { startCuttingProxy, type CuttingProxy } from '../mirror/cutting-proxy.js';
import { dropLocal, localFile, localFiles, moveLocal, setLocalFlags, syncDirs, type SyncDirs } from '../sync-app/support.js';
import { logLines, START_MS, stopDaemon, waitFor } from './support.js';

const USER = 'alice';
const hookDir = tempDirs('hook');
const message = (tag: string) => ({ raw: makeMessage({ messageId: `<${tag}@watch.test>`, subject: tag }) });
const id = (tag: string) => `<${tag}@watch.test>`;
const localIds = (maildir: string, folder: string) => localFiles(maildir, folder).map((file) => file.messageId!).sort();
const hookLines = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);
const movedSome = (line: string) => / moved=[1-9]/.test(line);
const serverIds = async (server: DovecotServer, folder: string) => (await listServerMessages(server, USER, folder)).map((m) => m.messageId!).sort();

describe('sync --watch', () => {
  let server: DovecotServer | undefined;
  let proxy: CuttingProxy | undefined;
  let dirs: SyncDirs | undefined;
  afterEach(async () => {
    await proxy?.close();
    await server?.stop();
    dirs?.remove();
  });

  it('pushes local changes, survives a cut in IDLE and an outage, and converges with each message once', async () => {
    server = await startDovecot();
    proxy = await startCuttingProxy({ host: server.host, port: server.port });
    dirs = syncDirs();
    const hookOutput = path.join(hookDir(), 'passes');
    await appendMessages(server, USER, 'INBOX', ['inbox-0', 'inbox-1', 'inbox-2', 'mover'].map(message));
    await appendMessages(server, USER, 'Archive', [message('archive-0')]);
    const daemon = startApp(
      'sync',
      [
        ...['--remote', `imap://${USER}@127.0.0.1:${proxy.port}`, '--maildir', dirs.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', dirs.state],
        ...['--watch', '--interval', '2', '--log-level', 'info'],
        // Records each pass, then fails: a failing hook is logged and the daemon goes on.
        ...['--on-change', `printf '%s copied=%s moved=%s %s\\n' "$IMAPFW_ACCOUNT" "$IMAPFW_COPIED" "$IMAPFW_MOVED" "$(echo $IMAPFW_FOLDERS)" >> ${hookOutput}; exit 3`],
      ],
      { env: { IMAPFW_TEST_PW: server.users[USER]!, IMAPFW_WATCH_BACKOFF: '500:2000' }, timeoutMs: 400_000 },
    );
    let stopped: Awaited<ReturnType<typeof stopDaemon>> | undefined;
    try {
      await waitFor('the first pass', () => localIds(dirs!.maildir, 'INBOX').length === 4 && localIds(dirs!.maildir, 'Archive').length === 1, START_MS);

      // Local -> server, as a mail client does it.
      moveLocal(dirs.maildir, 'INBOX', 'Archive', id('inbox-1'));
      dropLocal(dirs.maildir, 'INBOX', [message('new-local')]);
      setLocalFlags(dirs.maildir, 'INBOX', id('inbox-0'), ['\\Flagged', '\\Seen']);
      rmSync(localFile(dirs.maildir, 'INBOX', id('inbox-2')).path);
      await waitFor('the local changes on the server', async () => {
        const [inbox, archive] = [await serverIds(server!, 'INBOX'), await serverIds(server!, 'Archive')];
        const flags = (await listServerMessages(server!, USER, 'INBOX')).find((m) => m.messageId === id('inbox-0'))?.flags;
        return JSON.stringify([inbox, archive, flags]) === JSON.stringify([[id('inbox-0'), id('mover'), id('new-local')], [id('archive-0'), id('inbox-1')], ['\\Flagged', '\\Seen']]);
      });

      // A local move, and at once a delivery to INBOX: the server tells of it well before the Maildir watch's 300 ms
      // of quiet, so a pass over INBOX alone sees the message gone from there. It is still pushed as a move.
      // The pass of the move above has run its hook: the passes after it move nothing more, unless this one.
      await waitFor('the hook of the pass that moved inbox-1', () => hookLines(hookOutput).some(movedSome));
      // A pass asked for and waited for: the passes the daemon's own writes on the server set off are over, so
      // none of them is halfway through INBOX and Archive when the move below is made.
      const barrier = await startApp('ctl', ['sync', '--state-dir', dirs.state], { timeoutMs: 120_000 }).done;
      expect(barrier.code, describeAppRun(barrier)).toBe(0);
      const passesBefore = hookLines(hookOutput).length;
      moveLocal(dirs.maildir, 'INBOX', 'Archive', id('mover'));
      await appendMessages(server, USER, 'INBOX', [message('nudge')]);
      await waitFor('the move and the delivery', async () => {
        const remote = [await serverIds(server!, 'INBOX'), await serverIds(server!, 'Archive')];
        const hooks = hookLines(hookOutput).slice(passesBefore);
        // Moved, or else copied into Archive (then the assertion below says so).
        const archived = hooks.some(movedSome) || hooks.some((line) => /copied=[1-9].* Archive/.test(line));
        return archived && localIds(dirs!.maildir, 'INBOX').includes(id('nudge')) && remote[1]!.includes(id('mover')) && !remote[0]!.includes(id('mover'));
      });
      const afterMove = hookLines(hookOutput).slice(passesBefore);
      expect(afterMove.map((line) => Number(/ moved=(\d+)/.exec(line)?.[1])).reduce((a, b) => a + b, 0), afterMove.join('\n')).toBe(1);

      // A cut while the watcher IDLEs: the next delivery still arrives.
      proxy.cutAll();
      await appendMessages(server, USER, 'INBOX', [message('after-cut')]);
      await waitFor('a delivery after the cut', () => localIds(dirs!.maildir, 'INBOX').includes(id('after-cut')));

      // The server goes away; both sides change meanwhile; it comes back.
      proxy.cutAll({ refuse: true });
      await appendMessages(server, USER, 'Archive', [message('offline-server')]);
      dropLocal(dirs.maildir, 'INBOX', [message('offline-local')]);
      // Attempts refused, not the connections cut just now: with three or more open, the outage could end unnoticed.
      await waitFor('a refused attempt or two', () => proxy!.refused >= 2);
      proxy.heal();
      await waitFor('both sides to converge', async () => {
        const local = [localIds(dirs!.maildir, 'INBOX'), localIds(dirs!.maildir, 'Archive')];
        const remote = [await serverIds(server!, 'INBOX'), await serverIds(server!, 'Archive')];
        return local[1]!.includes(id('offline-server')) && remote[0]!.includes(id('offline-local')) && JSON.stringify(local) === JSON.stringify(remote);
      });
    } catch (error) {
      // What the daemon logged is what tells why it did not get there.
      stopped = await stopDaemon(daemon, 'SIGINT');
      throw new Error(`${(error as Error).message}\n--- the daemon's standard error, last 8 kB:\n${stopped.stderr.slice(-8000)}`);
    } finally {
      stopped ??= await stopDaemon(daemon, 'SIGINT');
    }
    expect(stopped.code, stopped.stderr.slice(-3000)).toBe(130);
    // Each message once on each side.
    const expected = {
      INBOX: [id('after-cut'), id('inbox-0'), id('new-local'), id('nudge'), id('offline-local')],
      Archive: [id('archive-0'), id('inbox-1'), id('mover'), id('offline-server')],
    };
    for (const [folder, ids] of Object.entries(expected)) {
      expect(await serverIds(server, folder)).toEqual(ids);
      expect(localIds(dirs.maildir, folder)).toEqual(ids);
    }
    const lines = logLines(stopped.stderr);
    // The return of the server was told.
    expect(lines.some((line) => /connected again/.test(line.msg ?? ''))).toBe(true);
    expect(lines.some((line) => /--on-change failed \(exit code 3\)/.test(line.msg ?? ''))).toBe(true);
    // The hook ran after passes that changed something, with the account and the folders in its environment.
    expect(existsSync(hookOutput)).toBe(true);
    const hooks = hookLines(hookOutput);
    expect(hooks.some((line) => /^sync-alice@127\.0\.0\.1:\d+-[0-9a-f]+ copied=[1-9]\d* moved=\d+ .*INBOX/.test(line)), hooks.join('\n')).toBe(true);
  }, 400_000);
});
