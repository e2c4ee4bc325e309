// ImapWatch.changes() when the connection is cut around its IDLE: the call
// fails with a typed error, and nothing is left to reject unhandled (on an
// actor's thread, that fails every actor of the thread).
import { afterEach, beforeEach, expect, it } from 'vitest';
import { NetworkError } from '../../src/api/errors.js';
import { ImapWatch } from '../../src/api/repositories/imap-watch.js';
import { dropConnection } from '../support/scripted-imap/misbehaviours.js';
import { startScriptedImap, type ScriptedImapServer } from '../support/scripted-imap/index.js';

let server: ScriptedImapServer;
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

beforeEach(async () => {
  server = await startScriptedImap({ folders: [{ name: 'INBOX', messages: [] }] });
  unhandled.length = 0;
  process.on('unhandledRejection', onUnhandled);
});
afterEach(async () => {
  process.off('unhandledRejection', onUnhandled);
  await server.stop();
});

const request = { idle: [], waitMs: 500, pollMs: 60_000 };

it.each([
  ['the NOOP before IDLE', 'NOOP', 1],
  ['IDLE', 'IDLE', 1],
  ['the NOOP that ends IDLE', 'NOOP', 2],
] as const)('the connection dropped at %s: no unhandled rejection, and the next call works', async (_name, command, nth) => {
  const watch = new ImapWatch({ url: server.url('alice'), password: { value: server.users.alice! } });
  try {
    await watch.changes(request); // the first look
    server.script.on(command, dropConnection(), { nth });
    // A cut seen at once is a NetworkError; one imapflow only notices later is found by the next call.
    const outcome = await watch.changes(request).then(() => 'resolved', (error: unknown) => error);
    if (outcome !== 'resolved') expect(outcome).toBeInstanceOf(NetworkError);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(unhandled).toEqual([]);
    server.script.clear();
    await expect(watch.changes(request)).resolves.toMatchObject({ modes: { INBOX: 'idle' } });
  } finally {
    await watch.close();
  }
});
