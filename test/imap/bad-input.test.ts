import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PartialStoreError } from '../../src/api/errors.js';
import type { ImapRepository } from '../../src/api/repositories/imap.js';
import { identityFromBody } from '../../src/core/identity.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { makeMessage } from '../support/messages.js';
import { repositoryOn } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);

function toCrlf(body: Buffer): Buffer {
  return Buffer.from(body.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1');
}

function thirtyMegabyteAttachment(): Buffer {
  const payload = Buffer.alloc(30 * 1024 * 1024);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 2654435761) >>> 24;
  const base64 = payload.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    'Subject: big attachment\r\nMessage-ID: <big@bad.test>\r\nMIME-Version: 1.0\r\n' +
      'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n' +
      '--b\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n' +
      `${base64}\r\n--b--\r\n`,
  );
}

/** Awkward but real-world input that must come back byte for byte. */
const samples: Record<string, Buffer> = {
  'bare LF line ends': makeMessage({ subject: 'bare lf', lineEnd: '\n', body: 'one\ntwo\n' }),
  'mixed line ends': Buffer.from('Subject: mixed\r\nMessage-ID: <mixed@bad.test>\n\r\nline one\nline two\r\n'),
  '8-bit headers': Buffer.concat([
    Buffer.from('Subject: caf'),
    Buffer.from([0xe9]), // latin-1, undeclared
    Buffer.from(' / Grüße\r\nFrom: J\u00f6rg <j@example.org>\r\nMessage-ID: <8bit@bad.test>\r\n\r\nbody \xff\r\n', 'latin1'),
  ]),
  'broken MIME': Buffer.from(
    'Subject: broken\r\nMessage-ID: <broken@bad.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\r\n' +
      'Content-Transfer-Encoding: base64\r\n\r\n--x\r\n!!! not base64 at all\r\n--y--',
  ),
  'no Message-ID': makeMessage({ subject: 'anonymous', messageId: null }),
  'no header at all': Buffer.from('just a body line\r\n'),
  '30 MB attachment': thirtyMegabyteAttachment(),
};

describe('awkward messages', () => {
  let server: DovecotServer;
  let repo: ImapRepository;
  beforeAll(async () => {
    server = await startDovecot();
    repo = repositoryOn(server);
    await repo.createFolder('Bad');
  });
  afterAll(async () => {
    await repo?.close();
    await server?.stop();
  });

  for (const [name, body] of Object.entries(samples)) {
    it(`${name}: stored and fetched byte-identical (bare LF as CRLF), same identity as the local copy`, async () => {
      const [id] = await repo.store('Bad', [{ body, flags: ['\\Seen'], internalDate: T0 }]);
      const [fetched] = await repo.fetch(await folderAt(repo, 'Bad'), [id!]);
      // IMAP serves CRLF: Dovecot returns a bare LF as CRLF, every other byte as sent.
      const expected = toCrlf(body);
      expect(fetched!.body.byteLength).toBe(expected.length);
      expect(Buffer.from(fetched!.body).equals(expected)).toBe(true);
      // RFC822.SIZE counts line ends as CRLF, exactly as a Maildir copy of the same bytes would.
      const local = identityFromBody(body);
      const meta = (await repo.scan('Bad')).messages.find((m) => m.id === id)!;
      const [identified] = await repo.identify(await folderAt(repo, 'Bad'), [id!]);
      expect(identified!.identity).toBe(local.identity);
      expect(meta.size).toBe(expected.length);
    });
  }

  it('a 0-byte message is refused by Dovecot with a typed error', async () => {
    const error = await repo.store('Bad', [{ body: new Uint8Array(0), flags: [], internalDate: T0 }]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialStoreError);
    expect((error as PartialStoreError).failures).toEqual([{ index: 0, reason: expect.stringMatching(/^append in "Bad" on alice@127\.0\.0\.1:\d+ failed: Can't save a zero byte message$/) }]);
  });

  it('a NUL byte comes back as 0x80: Dovecot replaces it, BODY[] cannot carry NUL (known limitation)', async () => {
    const body = Buffer.from('Subject: nul\r\nMessage-ID: <nul@bad.test>\r\n\r\na\0b\r\n', 'latin1');
    const [id] = await repo.store('Bad', [{ body, flags: [], internalDate: T0 }]);
    const [fetched] = await repo.fetch(await folderAt(repo, 'Bad'), [id!]);
    expect(Buffer.from(fetched!.body).toString('latin1')).toBe('Subject: nul\r\nMessage-ID: <nul@bad.test>\r\n\r\na\x80b\r\n');
  });
});
