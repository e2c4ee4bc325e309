// `imapfw sync` through a COMPRESS=DEFLATE session (RFC 4978), which imapfw uses wherever a server offers it (Gmail
// and many Dovecots do): messages both ways, one larger than a socket write slice, then a rerun that finds
// nothing to do. Both sides end alike.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, makeMessage } from '../support/messages.js';
import { dropLocal, maildirView, NOTHING_DONE, runSync, serverView, setLocalFlags, syncDirs, type SyncDirs } from './support.js';

let server: DovecotServer;
let dirs: SyncDirs | undefined;

beforeAll(async () => {
  server = await startDovecot({ users: { zipped: 'zipped-pw' }, compress: true, rawlog: true });
});
afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

const message = (name: string, size: number) => ({ raw: makeMessage({ messageId: `<${name}@compress.test>`, subject: name, size }), flags: [] as string[] });

it('syncs both ways through a compressed session, large messages included, and a rerun does nothing', async () => {
  const client = await imapClient(server, 'zipped');
  try {
    expect(client.capabilities.has('COMPRESS=DEFLATE')).toBe(true);
  } finally {
    await client.logout();
  }
  await appendMessages(server, 'zipped', 'INBOX', [message('down-small', 2_000), message('down-big', 3 << 20)]);
  dirs = syncDirs();
  const first = await runSync(server, 'zipped', dirs);
  expect(first.code, first.stderr).toBe(0);
  expect(first.summary).toMatchObject({ copied: 2, errors: [], complete: true });

  dropLocal(dirs.maildir, 'INBOX', [message('up-small', 1_500), message('up-big', 2 << 20)]);
  setLocalFlags(dirs.maildir, 'INBOX', '<down-small@compress.test>', ['\\Seen']);
  const second = await runSync(server, 'zipped', dirs);
  expect(second.code, second.stderr).toBe(0);
  expect(second.summary).toMatchObject({ copied: 2, flagsChanged: 1, errors: [], complete: true });
  const onServer = await serverView(server, 'zipped');
  expect(onServer.INBOX).toHaveLength(4);
  expect(onServer).toEqual(await maildirView(dirs.maildir));
  // imapfw's sessions (named so in their ID) did compress: what the server logged after COMPRESS is deflated bytes.
  const ours = (await server.commandsBySession()).filter((session) => session.some((line) => line.startsWith('ID ("name" "imapfw"')));
  expect(ours.length).toBeGreaterThanOrEqual(2);
  expect(ours.every((session) => session.includes('COMPRESS DEFLATE'))).toBe(true);

  const rerun = await runSync(server, 'zipped', dirs);
  expect(rerun.summary).toMatchObject(NOTHING_DONE);
});
