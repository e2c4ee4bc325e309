// A Maildir folder another tool named (its '%' not escaped as imapfw writes
// it): `sync` would push its mail to the server, so it says it skipped the
// folder and how to have it synced, instead of passing it over in silence;
// `mirror`, which never sends local folders anywhere, leaves it alone.
// Renamed as told, it syncs.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { makeMessage } from '../support/messages.js';
import { describeRun, dropLocal, runSync, serverView, syncDirs, type SyncDirs, type SyncSummary } from './support.js';

let server: DovecotServer;
let dirs: SyncDirs;

beforeAll(async () => {
  server = await startDovecot({ users: { laptop: 'laptop-pw' } });
  dirs = syncDirs();
});
afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

describe('a Maildir folder named by another tool', () => {
  it('sync skips it with the name to rename it to; mirror leaves it alone; renamed, it syncs', async () => {
    dropLocal(dirs.maildir, 'Odd%Name', [{ raw: makeMessage({ messageId: '<odd@misnamed.test>', subject: 'odd' }) }]);

    const skipped = await runSync(server, 'laptop', dirs);
    expect(skipped.code, describeRun(skipped)).toBe(1);
    expect(skipped.summary!.skipped).toEqual([
      {
        folder: '.Odd%Name',
        reason: 'the directory .Odd%Name holds mail, but its name is not one imapfw writes for a folder (another tool named it): rename it to .Odd%25Name to sync it as "Odd%Name", or exclude ".Odd%Name"',
      },
    ]);
    expect(Object.keys(await serverView(server, 'laptop'))).toEqual(['INBOX']);

    const mirrored = await startApp<SyncSummary>('mirror', ['--remote', server.url('laptop'), '--maildir', dirs.maildir, '--password-env', 'PW', '--state-dir', join(dirs.root, 'mirror-state'), '--json'], {
      env: { PW: 'laptop-pw' },
    }).done;
    expect(mirrored.code, describeRun(mirrored)).toBe(0);
    expect(mirrored.summary!.skipped).toEqual([]);

    renameSync(join(dirs.maildir, '.Odd%Name'), join(dirs.maildir, '.Odd%25Name'));
    const synced = await runSync(server, 'laptop', dirs);
    expect(synced.code, describeRun(synced)).toBe(0);
    expect(synced.summary).toMatchObject({ copied: 1, foldersCreated: 1, skipped: [] });
    expect(await serverView(server, 'laptop')).toEqual({ INBOX: [], 'Odd%Name': ['<odd@misnamed.test>'] });
  });
});
