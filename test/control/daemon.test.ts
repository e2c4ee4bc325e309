// The control socket of a real daemon (`imapfw mirror --watch`) against a
// real Dovecot: `imapfw ctl sync` gets the pass's summary, a one-shot run
// started meanwhile hands its pass to the daemon and prints that pass's
// summary and exit code, a pass that fails gives the one-shot's exit code,
// and `ctl stop` ends the daemon. The server hides
// NOTIFY and the poll interval is long: Archive changes only when asked.
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DaemonClient, ExitCode } from '../../src/api/index.js';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { capabilitiesWithout, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { mirrorDirs, runMirror, startMirror, USER, type MirrorDirs, type MirrorSummary } from '../mirror/support.js';
import { messageIdsIn, START_MS, stopDaemon, waitFor } from '../watch/support.js';

const message = (tag: string) => ({ raw: makeMessage({ messageId: `<${tag}@ctl.test>`, subject: tag }) });

describe('control socket of a running daemon', () => {
  let server: DovecotServer | undefined;
  let dirs: MirrorDirs | undefined;
  afterEach(async () => {
    await server?.stop();
    dirs?.remove();
  });

  it("ctl sync and a one-shot mirror get the daemon's pass summary and exit code; ctl stop ends it", async () => {
    server = await startDovecot({ capabilities: capabilitiesWithout('NOTIFY') });
    dirs = mirrorDirs();
    await appendMessages(server, USER, 'INBOX', [message('inbox-0'), message('inbox-1')]);
    await appendMessages(server, USER, 'Archive', [message('archive-0')]);
    const daemon = startMirror(server, dirs, { args: ['--watch', '--interval', '3600'], timeoutMs: 400_000 });
    const ctl = (...args: string[]) => startApp<MirrorSummary>('ctl', [...args, '--state-dir', dirs!.state], { timeoutMs: 120_000 }).done;
    try {
      await waitFor('the first pass', async () => {
        const client = await DaemonClient.connect(dirs!.state);
        try {
          return (await client.status()).accounts[0]?.lastPass !== undefined;
        } finally {
          client.close();
        }
      }, START_MS);
      expect(messageIdsIn(dirs.maildir, 'Archive')).toEqual(['<archive-0@ctl.test>']);

      await appendMessages(server, USER, 'Archive', [message('archive-1')]);
      const synced = await ctl('sync', 'Archive', '--json');
      expect(synced.code, describeAppRun(synced)).toBe(ExitCode.OK);
      expect(synced.summary).toMatchObject({ copied: 1, complete: true, errors: [] });
      expect(messageIdsIn(dirs.maildir, 'Archive')).toEqual(['<archive-0@ctl.test>', '<archive-1@ctl.test>']);

      // The same account, run one-shot while the daemon holds its lock: the daemon runs the pass.
      await appendMessages(server, USER, 'Archive', [message('archive-2'), message('archive-3')]);
      const oneShot = await runMirror(server, dirs, { timeoutMs: 120_000 });
      expect(oneShot.code, describeAppRun(oneShot)).toBe(ExitCode.OK);
      expect(oneShot.stderr).toContain(`imapfw mirror: a daemon serves this account (socket ${join(dirs.state, 'imapfw.sock')}); it ran this pass`);
      expect(oneShot.stderr).not.toContain('ESTATELOCKED');
      expect(oneShot.summary).toMatchObject({ copied: 2, complete: true });
      expect(messageIdsIn(dirs.maildir, 'Archive')).toHaveLength(4);

      const status = await ctl('status', '--json');
      expect(status.code, describeAppRun(status)).toBe(0);
      const [account] = (JSON.parse(status.stdout) as { accounts: { connection: string; lastPass: { counts: { copied: number } }; folders: { name: string }[] }[] }).accounts;
      expect(account).toMatchObject({ connection: 'connected' });
      expect(account!.folders.map((folder) => folder.name).sort()).toEqual(['Archive', 'INBOX']);

      // The server goes away: the pass asked for fails as a one-shot run would, with its exit code.
      await server.stop();
      server = undefined;
      const offline = await ctl('sync', '--json');
      expect(offline.code, describeAppRun(offline)).toBe(ExitCode.NETWORK);
      expect(offline.summary?.complete).toBe(false);
      expect(offline.summary?.errors.map((error) => error.code)).toContain('ENETWORK');

      const stopped = await ctl('stop');
      expect(stopped.code, describeAppRun(stopped)).toBe(0);
      const ended = await daemon.done;
      expect(ended.code, describeAppRun(ended)).toBe(0);
      const gone = await ctl('status');
      expect(gone.code, describeAppRun(gone)).toBe(ExitCode.NO_DAEMON);
      expect(gone.stderr).toContain('no imapfw daemon runs for this state directory');
    } finally {
      await stopDaemon(daemon);
    }
  }, 600_000);
});
