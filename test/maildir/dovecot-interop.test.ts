/**
 * Dovecot reads the Maildir we write (folders, flags, keywords, INTERNALDATE,
 * sizes, bytes) and we read what Dovecot writes into it, in both layouts.
 * Folder names are ASCII: Dovecot reads directory names as modified UTF-7
 * unless its mail_location has the UTF-8 option, which the fixture does not set.
 */
import { chmod } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, listServerMessages, makeMessage } from '../support/messages.js';
import { identityFromBody } from '../../src/core/identity.js';
import { crlfSize } from '../../src/core/crlf.js';
import { mail } from '../contract/repository.contract.js';
import { LAYOUTS, tempMaildir, type TempMaildir } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

let maildir: TempMaildir | undefined;
let server: DovecotServer | undefined;
afterEach(async () => {
  await server?.stop();
  await maildir?.cleanup();
  server = undefined;
  maildir = undefined;
});

const DATE = Date.UTC(2022, 1, 3, 4, 5, 6);

// Dovecot has no flat layout (offlineimap's): LAYOUT=fs is nested, its default Maildir++.
describe.each(LAYOUTS.filter((layout) => layout !== 'flat'))('Dovecot and MaildirRepository share a Maildir (%s)', (layout) => {
  it('Dovecot reads what we write, and we read what Dovecot writes', async () => {
    maildir = await tempMaildir({ layout });
    const { parent, root, repo } = maildir;
    await chmod(parent, 0o755); // the fixture's mail user must reach the root
    await repo.createFolder('Work/Sub');
    const bodies = [mail('kw', { messageId: '<kw@interop>' }), new TextEncoder().encode('Subject: lf\nMessage-ID: <lf@interop>\n\nbare LF\n')];
    const ids = await repo.store('Work/Sub', [
      { body: bodies[0]!, flags: ['\\Seen', '$Forwarded', 'project-x'], internalDate: DATE },
      { body: bodies[1]!, flags: ['\\Flagged', '\\Answered'], internalDate: DATE + 1000 },
    ]);
    await repo.store('INBOX', [{ body: mail('inbox'), flags: [], internalDate: DATE }]);

    server = await startDovecot({ maildirRoot: root, layout: layout === 'nested' ? 'fs' : 'maildir++', separator: '/' });
    const client = await imapClient(server, 'alice');
    const folders = (await client.list()).map((f) => f.path);
    await client.logout();
    expect(folders).toEqual(expect.arrayContaining(['INBOX', 'Work', 'Work/Sub']));

    const seen = await listServerMessages(server, 'alice', 'Work/Sub');
    expect(seen).toMatchObject([
      { messageId: '<kw@interop>', flags: ['$Forwarded', '\\Seen', 'project-x'], size: bodies[0]!.length, internalDate: new Date(DATE) },
      { messageId: '<lf@interop>', flags: ['\\Answered', '\\Flagged'], size: crlfSize(bodies[1]!), internalDate: new Date(DATE + 1000) },
    ]);
    expect(await listServerMessages(server, 'alice', 'INBOX')).toHaveLength(1);

    // Dovecot changes keywords (its own dovecot-keywords letters) and delivers a message.
    const writer = await imapClient(server, 'alice');
    const lock = await writer.getMailboxLock('Work/Sub');
    await writer.messageFlagsAdd('1', ['$Label7', 'from-dovecot'], { uid: true });
    await writer.messageFlagsRemove('1', ['project-x'], { uid: true });
    lock.release();
    await writer.logout();
    const raw = makeMessage({ messageId: '<dove@interop>' });
    await appendMessages(server, 'alice', 'Work/Sub', [{ raw, flags: ['\\Draft', 'from-dovecot'], internalDate: new Date(DATE) }]);
    await server.stop();
    server = undefined;

    const scan = await repo.scan('Work/Sub', undefined, { internalDates: true });
    const byId = new Map(scan.messages.map((m) => [m.id, m]));
    expect([...byId.get(ids[0]!)!.flags].sort()).toEqual(['$Forwarded', '$Label7', '\\Seen', 'from-dovecot']);
    expect([...byId.get(ids[1]!)!.flags].sort()).toEqual(['\\Answered', '\\Flagged']);
    const delivered = scan.messages.find((m) => !ids.includes(m.id))!;
    expect(delivered).toMatchObject({ size: raw.length, internalDate: DATE });
    expect([...delivered.flags].sort()).toEqual(['\\Draft', 'from-dovecot']);
    const [fetched] = await repo.fetch(await folderAt(repo, 'Work/Sub'), [delivered.id]);
    // Dovecot saves with LF line ends (mail_save_crlf = no): same message, same size and identity.
    expect(Buffer.from(fetched!.body).toString()).toBe(raw.toString().replace(/\r\n/g, '\n'));
    expect((await repo.identify(await folderAt(repo, 'Work/Sub'), [delivered.id]))[0]!.identity).toBe(identityFromBody(raw).identity);
    // Dovecot's own files are tolerated and reported, never removed.
    expect((await repo.listFolders()).map((f) => f.name)).toEqual(['INBOX', 'Work', 'Work/Sub']);
    expect(repo.takeWarnings().map((w) => w.path)).toEqual(expect.arrayContaining([expect.stringMatching(/dovecot-uidlist$/)]));
  });
});
