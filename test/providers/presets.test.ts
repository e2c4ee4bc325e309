// Provider presets: the server from --provider, Gmail's label views skipped
// on a one-way copy's source (unless --exclude says otherwise), the
// connection limit, and --automap between Gmail-like and Outlook-like names
// on a real Dovecot.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseMigrateArgs } from '../../src/apps/migrate/args.js';
import { parseMirrorArgs } from '../../src/apps/mirror/args.js';
import { parseSyncArgs } from '../../src/apps/sync/args.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, listServerMessages, makeMessage } from '../support/messages.js';
import { runMigrate } from '../migrate/support.js';

const GMAIL_VIEWS = ['[Gmail]/All Mail', '[Gmail]/Important', '[Gmail]/Starred'];

describe('provider presets: options', () => {
  it('--provider gmail with --oauth2 ADDRESS: the server is imaps://ADDRESS@imap.gmail.com; a mirror skips the label views, a sync does not', async () => {
    const args = ['--provider', 'gmail', '--oauth2', 'alice@gmail.com', '--maildir', '/tmp/imapfw-preset-mail', '--max-connections', '16'];
    const [mirror] = (await parseMirrorArgs(args)).accounts;
    expect(mirror!.remote).toBe('imaps://alice%40gmail.com@imap.gmail.com');
    expect(mirror!.exclude).toEqual(expect.arrayContaining(GMAIL_VIEWS));
    expect(mirror!.maxConnections).toBe(10);
    const [sync] = (await parseSyncArgs(args)).accounts;
    expect(sync!.exclude).toEqual([]);
    // --exclude replaces the preset's list; the preset is recognised from the host.
    const [own] = (await parseMirrorArgs(['--remote', 'imaps://bob@imap.gmail.com', '--password-env', 'HOME', '--maildir', '/tmp/x', '--exclude', 'Trash'])).accounts;
    expect(own!.exclude).toEqual(['Trash']);
    expect(own!.maxConnections).toBe(10);
  });

  it('migrate: --from-provider gmail skips the label views and caps connections; --to-provider outlook takes --to USER', async () => {
    const args = await parseMigrateArgs(['--from-provider', 'gmail', '--from', 'alice@gmail.com', '--from-password-env', 'HOME', '--to-provider', 'outlook', '--to', 'alice@contoso.com', '--to-password-env', 'HOME', '--max-connections', '12']);
    expect(args.accounts[0]).toMatchObject({ from: 'imaps://alice%40gmail.com@imap.gmail.com', to: 'imaps://alice%40contoso.com@outlook.office365.com' });
    expect(args.exclude).toEqual(expect.arrayContaining(GMAIL_VIEWS));
    expect(args.maxConnections).toBe(8);
    await expect(parseMigrateArgs(['--from-provider', 'yahoo', '--from', 'a', '--to', 'imap://b@h'])).rejects.toThrow(/--from-provider must be gmail or outlook/);
  });
});

describe('provider presets: a Gmail-like account migrated to an Outlook-like one', () => {
  let server: DovecotServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('with --from-provider gmail --automap: label views skipped, Sent Mail/Trash/Spam land in Sent Items/Deleted Items/Junk Email, each message once', async () => {
    server = await startDovecot({ users: { gmail: 'g-pw', outlook: 'o-pw' } });
    dir = mkdtempSync(join(tmpdir(), 'imapfw-presets-'));
    const seeded: Record<string, number> = { INBOX: 2, '[Gmail]/Sent Mail': 2, '[Gmail]/Trash': 1, '[Gmail]/Spam': 1, Work: 1 };
    for (const [folder, count] of Object.entries(seeded)) {
      await appendMessages(server, 'gmail', folder, Array.from({ length: count }, (_, i) => ({ raw: makeMessage({ subject: `${folder} ${i}` }) })));
    }
    // Gmail's views repeat the messages of the other folders.
    for (const view of GMAIL_VIEWS) await appendMessages(server, 'gmail', view, [{ raw: makeMessage({ subject: `${view} copy` }) }]);
    for (const folder of ['Sent Items', 'Deleted Items', 'Junk Email']) await appendMessages(server, 'outlook', folder, []);

    const run = await runMigrate({ server, user: 'gmail' }, { server, user: 'outlook' }, join(dir, 'state'), ['--from-provider', 'gmail', '--automap']);
    expect(run.code, run.stdout + run.stderr.slice(-2000)).toBe(0);
    const count = async (folder: string) => (await listServerMessages(server!, 'outlook', folder).catch(() => [])).length;
    expect(await count('INBOX')).toBe(2);
    expect(await count('Sent Items')).toBe(2);
    expect(await count('Deleted Items')).toBe(1);
    expect(await count('Junk Email')).toBe(1);
    expect(await count('Work')).toBe(1);
    const listed = (await server.doveadm(['mailbox', 'list', '-u', 'outlook'])).split('\n').map((line) => line.trim()).filter(Boolean);
    expect(listed.filter((folder) => folder.startsWith('[Gmail]'))).toEqual([]);
  });
});

describe("provider presets: the target provider's upload limit", () => {
  let server: DovecotServer | undefined;
  let dir: string | undefined;
  afterEach(async () => {
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('--to-provider outlook: a message over 35 MB is not sent, named in the skipped list with why; the others are copied; exit 1', async () => {
    server = await startDovecot({ users: { from: 'f-pw', to: 't-pw' } });
    dir = mkdtempSync(join(tmpdir(), 'imapfw-presets-'));
    await appendMessages(server, 'from', 'INBOX', [
      { raw: makeMessage({ subject: 'small 1' }) },
      { raw: makeMessage({ subject: 'too big', size: 36 * 2 ** 20 }) },
      { raw: makeMessage({ subject: 'small 2' }) },
    ]);
    const run = await runMigrate({ server, user: 'from' }, { server, user: 'to' }, join(dir, 'state'), ['--to-provider', 'outlook'], { timeoutMs: 180_000 });
    expect(run.code, run.stdout + run.stderr.slice(-2000)).toBe(1);
    expect(run.summary?.skipped).toEqual([expect.objectContaining({ folder: 'INBOX', id: '2', reason: expect.stringMatching(/36\.0 MB, over Microsoft 365's upload limit of 35\.0 MB/) })]);
    expect((await listServerMessages(server, 'to', 'INBOX')).length).toBe(2);
  }, 240_000);
});
