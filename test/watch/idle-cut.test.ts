// `sync --watch` against the scripted server, which drops the watcher's
// connection at the NOOP it sends before going back to IDLE: the daemon
// reconnects and syncs the next delivery. (imapflow's IDLE on the dead
// connection used to reject unhandled, which failed every actor of the
// thread: the daemon exited 70.)
import { afterEach, expect, it } from 'vitest';
import { startApp } from '../support/cli-run.js';
import { dropConnection } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';
import { localFiles, syncDirs, type SyncDirs } from '../sync-app/support.js';
import { START_MS, stopDaemon, waitFor } from './support.js';

const message = (tag: string) => ({ body: `Message-ID: <${tag}@idle-cut.test>\r\nSubject: ${tag}\r\n\r\n${tag}\r\n` });
let server: ScriptedImapServer | undefined;
let dirs: SyncDirs | undefined;
afterEach(async () => {
  await server?.stop();
  dirs?.remove();
});

it('the watcher connection dropped at the NOOP before its next IDLE: the daemon reconnects and syncs the next delivery', async () => {
  server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [message('first')] }] });
  dirs = syncDirs();
  const maildir = dirs.maildir;
  // A session that has sent IDLE is the watcher's: its NOOPs alternate, one ending an IDLE, one before the next.
  const noopsAfterIdle = new Map<unknown, number>();
  let dropped = false;
  server.script.on('IDLE', async (ctx, next) => {
    if (!noopsAfterIdle.has(ctx.session)) noopsAfterIdle.set(ctx.session, 0);
    await next();
  });
  const drop = dropConnection();
  server.script.on('NOOP', async (ctx, next) => {
    const seen = noopsAfterIdle.get(ctx.session);
    if (seen === undefined || dropped) return next();
    noopsAfterIdle.set(ctx.session, seen + 1);
    if (seen + 1 < 2) return next();
    dropped = true;
    return drop(ctx, next);
  });
  const daemon = startApp('sync', ['--remote', server.url('alice'), '--maildir', maildir, '--password-env', 'PW', '--state-dir', dirs.state, '--watch', '--interval', '2', '--log-level', 'info'], {
    env: { PW: server.users.alice!, IMAPFW_WATCH_BACKOFF: '500:2000' },
    timeoutMs: 120_000,
  });
  let run: Awaited<ReturnType<typeof stopDaemon>> | undefined;
  try {
    await waitFor('the first pass', () => localFiles(maildir, 'INBOX').length === 1, START_MS);
    await waitFor('the cut', () => dropped, START_MS);
    server.account.addMessage('INBOX', message('after-the-cut'));
    await waitFor('the delivery after the cut', () => localFiles(maildir, 'INBOX').length === 2, 30_000);
  } finally {
    run = await stopDaemon(daemon, 'SIGINT');
  }
  expect(run.code, run.stderr.slice(-4000)).toBe(130);
  expect(run.stderr).not.toMatch(/failed \(rejection\)/);
}, 150_000);
