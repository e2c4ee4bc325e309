// SIGHUP reads a daemon's --config again, against a real Dovecot: an account
// added is mirrored, one whose settings changed restarts (the one left alone
// keeps its lock), a config that no longer loads is refused while syncing
// goes on, an account removed stops and releases its lock. Without --config,
// SIGHUP has nothing to re-read and the daemon goes on.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/api/index.js';
import { stateDatabasePath } from '../../src/api/state/database-path.js';
import { startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { mirrorDirs, startMirror, USER, type MirrorDirs } from '../mirror/support.js';
import { logLines, messageIdsIn, START_MS, stopDaemon, waitFor } from './support.js';

const BOB = 'bob';
const message = (tag: string) => ({ raw: makeMessage({ messageId: `<${tag}@reload.test>`, subject: tag }) });

describe('SIGHUP', () => {
  let server: DovecotServer | undefined;
  let dirs: MirrorDirs | undefined;
  afterEach(async () => {
    await server?.stop();
    dirs?.remove();
  });

  it('re-reads --config: an added account starts, a changed one restarts, a broken config is refused, a removed account stops and releases its lock', async () => {
    server = await startDovecot({ users: { [USER]: 'alice-pw', [BOB]: 'bob-pw' } });
    dirs = mirrorDirs();
    const maildirs = { alice: join(dirs.root, 'alice'), bob: join(dirs.root, 'bob') };
    const config = join(dirs.root, 'accounts.mjs');
    const entry = (user: string, extra = '') =>
      `{ name: '${user}', remote: '${server!.url(user)}', maildir: '${maildirs[user as 'alice' | 'bob']}', password: { env: 'PW_${user.toUpperCase()}' }${extra} }`;
    const writeConfig = (...entries: string[]) => writeFileSync(config, `export default [${entries.join(', ')}];\n`);
    const lock = (account: string) => `${stateDatabasePath(account, dirs!.state)}.lock`;
    const served = async () => {
      const client = await DaemonClient.connect(dirs!.state);
      try {
        return (await client.status()).accounts.map((account) => account.account).sort();
      } finally {
        client.close();
      }
    };

    await appendMessages(server, USER, 'INBOX', [message('alice-0')]);
    await appendMessages(server, BOB, 'INBOX', [message('bob-0')]);
    writeConfig(entry(USER));
    const daemon = startApp('mirror', ['--config', config, '--state-dir', dirs.state, '--watch', '--interval', '1', '--log-level', 'info'], {
      env: { PW_ALICE: server.users[USER]!, PW_BOB: server.users[BOB]! },
      timeoutMs: 400_000,
    });
    let stderr = '';
    daemon.child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    const logged = (pattern: RegExp) => waitFor(`a log line ${pattern}`, () => logLines(stderr).find((line) => pattern.test(line.msg ?? '')));
    const hangUp = () => process.kill(daemon.child.pid!, 'SIGHUP');
    try {
      await waitFor('the first pass', () => messageIdsIn(maildirs.alice, 'INBOX').length === 1, START_MS);
      const aliceLock = readFileSync(lock(USER), 'utf8');

      // Added: bob is mirrored; alice, unchanged, keeps her lock (not restarted).
      writeConfig(entry(USER), entry(BOB));
      hangUp();
      await waitFor("bob's mirror", () => messageIdsIn(maildirs.bob, 'INBOX').includes('<bob-0@reload.test>'), START_MS);
      expect(await served()).toEqual([USER, BOB]);
      expect(readFileSync(lock(USER), 'utf8')).toBe(aliceLock);
      expect(existsSync(lock(BOB))).toBe(true);

      // Broken: refused with a clear line, the daemon goes on and keeps syncing both accounts.
      writeFileSync(config, 'export default [ { name: ');
      hangUp();
      const refused = await logged(/--config .*accounts\.mjs refused, going on with the accounts already served/);
      expect(refused?.level).toBe(50);
      await appendMessages(server, USER, 'INBOX', [message('alice-1')]);
      await appendMessages(server, BOB, 'INBOX', [message('bob-1')]);
      await waitFor('new mail of both after the refused reload', () => messageIdsIn(maildirs.alice, 'INBOX').includes('<alice-1@reload.test>') && messageIdsIn(maildirs.bob, 'INBOX').includes('<bob-1@reload.test>'));
      expect(daemon.child.exitCode).toBeNull();

      // Changed: alice restarts with her new settings (a new lock is taken), bob is left alone.
      const bobLock = readFileSync(lock(BOB), 'utf8');
      await appendMessages(server, USER, 'Archive', [message('alice-archive-0')]);
      writeConfig(entry(USER, ", exclude: ['Archive']"), entry(BOB));
      hangUp();
      await logged(/applied: restarted alice; 2 account\(s\) served/);
      await waitFor("alice's new lock", () => existsSync(lock(USER)) && readFileSync(lock(USER), 'utf8') !== aliceLock);
      expect(readFileSync(lock(BOB), 'utf8')).toBe(bobLock);
      await appendMessages(server, USER, 'INBOX', [message('alice-2')]);
      await waitFor('alice mirrored after her restart', () => messageIdsIn(maildirs.alice, 'INBOX').includes('<alice-2@reload.test>'));

      // Removed: bob stops and his lock is released; alice goes on.
      writeConfig(entry(USER, ", exclude: ['Archive']"));
      hangUp();
      await logged(/account bob: no longer served/);
      expect(existsSync(lock(BOB))).toBe(false);
      expect(await served()).toEqual([USER]);
      await appendMessages(server, USER, 'INBOX', [message('alice-3')]);
      await waitFor('alice mirrored after the removal', () => messageIdsIn(maildirs.alice, 'INBOX').includes('<alice-3@reload.test>'));
    } finally {
      const run = await stopDaemon(daemon);
      expect(run.code, stderr.slice(-3000)).toBe(143);
      expect(existsSync(lock(USER))).toBe(false);
    }
  }, 400_000);

  it('without --config: logs that it has nothing to re-read and goes on', async () => {
    server = await startDovecot();
    dirs = mirrorDirs();
    await appendMessages(server, USER, 'INBOX', [message('inbox-0')]);
    const daemon = startMirror(server, dirs, { args: ['--watch', '--interval', '1', '--log-level', 'info'], timeoutMs: 300_000 });
    let stderr = '';
    daemon.child.stderr!.on('data', (chunk: string) => (stderr += chunk));
    try {
      await waitFor('the first pass', () => messageIdsIn(dirs!.maildir, 'INBOX').length === 1, START_MS);
      process.kill(daemon.child.pid!, 'SIGHUP');
      await waitFor('the SIGHUP line', () => logLines(stderr).some((line) => /SIGHUP: nothing to re-read/.test(line.msg ?? '')));
      await appendMessages(server, USER, 'INBOX', [message('inbox-1')]);
      await waitFor('the next message', () => messageIdsIn(dirs!.maildir, 'INBOX').includes('<inbox-1@reload.test>'));
    } finally {
      const run = await stopDaemon(daemon);
      expect(run.code, stderr.slice(-3000)).toBe(143);
    }
  }, 300_000);
});
