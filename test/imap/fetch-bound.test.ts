// Memory is bounded by the bytes that arrive, not by the sizes a server
// claims: fetch with maxBytes keeps bodies only until they pass the bound.
import { afterEach, describe, expect, it } from 'vitest';
import { ImapRepository } from '../../src/api/repositories/imap.js';
import { makeMessage } from '../support/messages.js';
import { startScriptedImap } from '../support/scripted-imap/index.js';
import { claimSize } from '../support/scripted-imap/misbehaviours.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('fetch with maxBytes', () => {
  it('a server claiming 1 KB per message and sending 200 KB: bodies kept only until they pass the bound; asked again, the rest comes', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => makeMessage({ subject: `big ${i}`, size: 200_000 }));
    const server = await startScriptedImap({ folders: [{ name: 'Big', messages: bodies.map((body) => ({ body })) }] });
    cleanups.push(() => server.stop());
    server.script.on('UID FETCH', claimSize(() => 1000));
    const repository = new ImapRepository({ url: server.url('alice'), password: { value: server.users.alice! } });
    cleanups.push(() => repository.close());

    const scan = await repository.scan('Big');
    expect(scan.messages.every((message) => message.size === 1000)).toBe(true);
    let ids = scan.messages.map((message) => message.id);
    const got = new Map<string, Uint8Array>();
    let rounds = 0;
    while (ids.length > 0) {
      rounds++;
      const fetched = await repository.fetch({ name: 'Big', uidValidity: scan.status.uidValidity }, ids, { maxBytes: 500_000 });
      const received = fetched.reduce((sum, message) => sum + message.body.byteLength, 0);
      // About the bound plus at most one message, never the whole folder.
      expect(received).toBeLessThanOrEqual(500_000 + 210_000);
      expect(fetched.length).toBeGreaterThan(0);
      for (const message of fetched) got.set(message.id, message.body);
      ids = ids.filter((id) => !got.has(id));
    }
    expect(rounds).toBeGreaterThan(1);
    expect(scan.messages.map((message) => Buffer.from(got.get(message.id)!).equals(bodies[Number(message.id) - 1]!))).toEqual(bodies.map(() => true));
  });

  it('with partBytes, a message that fills the window comes back as its start, whatever size the server claims; fetchPart gives the rest', async () => {
    const small = makeMessage({ subject: 'small', size: 3_000 });
    const big = makeMessage({ subject: 'big', size: 50_000 });
    const server = await startScriptedImap({ folders: [{ name: 'Parts', messages: [{ body: small }, { body: big }] }] });
    cleanups.push(() => server.stop());
    server.script.on('UID FETCH', claimSize(() => 1000));
    const repository = new ImapRepository({ url: server.url('alice'), password: { value: server.users.alice! } });
    cleanups.push(() => repository.close());

    const scan = await repository.scan('Parts');
    const folder = { name: 'Parts', uidValidity: scan.status.uidValidity };
    const [whole, start] = await repository.fetch(folder, ['1', '2'], { partBytes: 16_384 });
    expect(whole!.partial).toBeUndefined();
    expect(Buffer.from(whole!.body).equals(small)).toBe(true);
    expect(start!.partial).toEqual({ size: 1000 });
    expect(Buffer.from(start!.body).equals(big.subarray(0, 16_384))).toBe(true);
    const parts = [Buffer.from(start!.body)];
    for (let offset = 16_384; ; ) {
      const part = await repository.fetchPart(folder, '2', offset, 16_384);
      parts.push(Buffer.from(part));
      offset += part.byteLength;
      if (part.byteLength < 16_384) break;
    }
    expect(Buffer.concat(parts).equals(big)).toBe(true);
    await expect(repository.fetchPart(folder, '3', 0, 16_384)).rejects.toMatchObject({ code: 'EUNAVAILABLE' });
  });
});
