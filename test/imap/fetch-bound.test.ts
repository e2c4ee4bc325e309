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
});
