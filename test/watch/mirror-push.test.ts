// `imapfw mirror --watch` against a real Dovecot: what happens on the
// server while the daemon runs (a delivery, a flag, an expunge, a new
// folder) reaches the Maildir without another run. Once with NOTIFY
// (Dovecot offers it), once without (IDLE on INBOX, STATUS polls of the rest).
import { afterEach, describe, expect, it } from 'vitest';
import { capabilitiesWithout, startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, makeMessage } from '../support/messages.js';
import { localFiles } from '../sync-app/support.js';
import { mirrorDirs, startMirror, USER, type MirrorDirs } from '../mirror/support.js';
import { logLines, messageIdsIn, START_MS, stopDaemon, waitFor } from './support.js';

const seed = (folder: string, n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ raw: makeMessage({ messageId: `<${tag}-${i}@watch.test>`, subject: `${tag} ${i}` }) }));


describe.each([
  { mode: 'NOTIFY', capabilities: undefined },
  { mode: 'IDLE and polls', capabilities: capabilitiesWithout('NOTIFY') },
])('mirror --watch, $mode', ({ capabilities }) => {
  let server: DovecotServer | undefined;
  let dirs: MirrorDirs | undefined;
  afterEach(async () => {
    await server?.stop();
    dirs?.remove();
  });

  it('brings appends, flags, expunges and a new folder on the server into the Maildir, and stops on SIGTERM with 143', async () => {
    server = await startDovecot(capabilities ? { capabilities } : {});
    dirs = mirrorDirs();
    await appendMessages(server, USER, 'INBOX', seed('INBOX', 3, 'inbox'));
    await appendMessages(server, USER, 'Archive', seed('Archive', 2, 'archive'));
    const daemon = startMirror(server, dirs, { args: ['--watch', '--interval', '1', '--log-level', 'info'], timeoutMs: 300_000 });
    try {
      await waitFor('the first pass', () => messageIdsIn(dirs!.maildir, 'INBOX').length === 3 && messageIdsIn(dirs!.maildir, 'Archive').length === 2, START_MS);

      await appendMessages(server, USER, 'INBOX', seed('INBOX', 1, 'new-inbox'));
      await appendMessages(server, USER, 'Archive', seed('Archive', 1, 'new-archive'));
      await waitFor('the new messages', () => messageIdsIn(dirs!.maildir, 'INBOX').includes('<new-inbox-0@watch.test>') && messageIdsIn(dirs!.maildir, 'Archive').includes('<new-archive-0@watch.test>'));

      const client = await imapClient(server, USER);
      try {
        await client.mailboxOpen('Archive');
        await client.messageFlagsAdd({ header: { 'message-id': '<archive-1@watch.test>' } }, ['\\Flagged']);
        await client.mailboxOpen('INBOX');
        await client.messageDelete({ header: { 'message-id': '<inbox-0@watch.test>' } });
        await client.mailboxCreate('News');
        await client.append('News', makeMessage({ messageId: '<news-0@watch.test>' }));
      } finally {
        await client.logout();
      }
      await waitFor('the flag', () => localFiles(dirs!.maildir, 'Archive').find((file) => file.messageId === '<archive-1@watch.test>')?.letters.includes('F'));
      await waitFor('the expunge', () => !messageIdsIn(dirs!.maildir, 'INBOX').includes('<inbox-0@watch.test>'));
      await waitFor('the new folder', () => messageIdsIn(dirs!.maildir, 'News').includes('<news-0@watch.test>'));
      expect(messageIdsIn(dirs.maildir, 'INBOX')).toEqual(['<inbox-1@watch.test>', '<inbox-2@watch.test>', '<new-inbox-0@watch.test>']);
    } finally {
      const run = await stopDaemon(daemon);
      const lines = logLines(run.stderr);
      expect(run.code, run.stderr.slice(-3000)).toBe(143);
      // One info line per pass that changed something.
      expect(lines.some((line) => /copied/.test(line.msg ?? ''))).toBe(true);
    }
  }, 300_000);
});
