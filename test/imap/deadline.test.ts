// Every call on a connection has a deadline that grows with the bytes it
// moves: a server that goes silent or dribbles is given up within about
// --timeout, with a StallError that names the command, the folder and the
// bytes moved; a server that keeps moving bytes, however many, is not.
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError, StallError } from '../../src/api/errors.js';
import { retrying } from '../../src/api/engines/retrying.js';
import { ImapRepository } from '../../src/api/repositories/imap.js';
import { folderRef } from '../../src/api/folder-ref.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { makeMessage } from '../support/messages.js';
import { startStallingProxy, type StallingProxy } from '../support/stalling-proxy.js';
import { repositoryOn } from './helpers.js';

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A server that greets (a byte every `dribbleMs` when set) and then never answers. */
async function mutedServer(options: { greeting: boolean; dribbleMs?: number }): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    const greeting = Buffer.from('* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] muted server ready\r\n');
    if (!options.greeting) return;
    if (options.dribbleMs === undefined) return void socket.write(greeting);
    let sent = 0;
    const timer = setInterval(() => {
      if (socket.destroyed || sent >= greeting.length) return void clearInterval(timer);
      socket.write(greeting.subarray(sent, ++sent));
    }, options.dribbleMs);
    socket.on('close', () => clearInterval(timer));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => {
    for (const socket of sockets) socket.destroy();
    return new Promise((resolve) => server.close(resolve));
  });
  return (server.address() as net.AddressInfo).port;
}

function repositoryAt(port: number, timeoutMs: number): ImapRepository {
  const repository = new ImapRepository({ url: `imap://alice@127.0.0.1:${port}`, password: { value: 'pw' }, timeoutMs });
  cleanups.push(() => repository.close());
  return repository;
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: Error) => error,
  );
}

describe('deadline of a call: servers that stop answering', () => {
  it('silent before the greeting: a StallError, not a 16 s greeting timeout', async () => {
    const port = await mutedServer({ greeting: false });
    const error = await failure(repositoryAt(port, 1000).listFolders());
    expect(error).toBeInstanceOf(StallError);
    expect(error).toBeInstanceOf(NetworkError);
    expect(error.message).toMatch(/list folders in alice@127\.0\.0\.1:\d+ stalled, no data for 1 s \(0 bytes received/);
  });

  it('silent after the greeting: the command in flight is named', async () => {
    const port = await mutedServer({ greeting: true });
    const error = await failure(repositoryAt(port, 1000).listFolders());
    expect(error).toBeInstanceOf(StallError);
    expect(error.message).toMatch(/stalled, [A-Z]+: (no data|only \d+ byte\(s\)) /);
    expect(error.message).toMatch(/[1-9][\d,]* bytes received/);
  });

  it('a server dribbling a byte every 100 ms is given up although it never goes silent', async () => {
    const port = await mutedServer({ greeting: true, dribbleMs: 100 });
    const error = await failure(repositoryAt(port, 1000).listFolders());
    expect(error).toBeInstanceOf(StallError);
    expect(error.message).toMatch(/only \d+ byte\(s\) in the last 1 s/);
  });

  it('retrying gives a stalling server two deadlines, not four', async () => {
    const port = await mutedServer({ greeting: false });
    const repository = repositoryAt(port, 1000);
    let calls = 0;
    const error = await failure(retrying(() => (calls++, repository.listFolders()), 4, 10));
    expect(error).toBeInstanceOf(StallError);
    expect(calls).toBe(2);
  });
});

describe('deadline of a call: a real server behind a proxy that misbehaves', () => {
  let server: DovecotServer;
  let proxy: StallingProxy;
  const big = makeMessage({ subject: 'big', size: 3 << 20 });

  async function setUp(timeoutMs = 2000): Promise<ImapRepository> {
    server = await startDovecot();
    cleanups.push(() => server.stop());
    proxy = await startStallingProxy(server);
    cleanups.push(() => proxy.close());
    const seeder = repositoryOn(server);
    await seeder.store('INBOX', [{ body: big, flags: [], internalDate: Date.UTC(2024, 0, 1) }]);
    await seeder.close();
    const repository = new ImapRepository({ url: `imap://alice@127.0.0.1:${proxy.port}`, password: { value: server.users.alice! }, timeoutMs });
    cleanups.push(() => repository.close());
    return repository;
  }

  it('stalls in the middle of a literal: FETCH, the folder and the bytes so far are named; healed, the same call gives the message whole', async () => {
    const repository = await setUp();
    const scan = await repository.scan('INBOX');
    const [{ id }] = scan.messages as unknown as [{ id: string }];
    const inbox = folderRef('INBOX', scan);
    proxy.arm(/UID FETCH [^\r\n]*BODY/i, { kind: 'stall', after: 100_000 });
    const error = await failure(repository.fetch(inbox, [id]));
    expect(error).toBeInstanceOf(StallError);
    expect(error.message).toMatch(/fetch in "INBOX" on alice@127\.0\.0\.1:\d+ stalled, UID FETCH: no data for 2 s \(\d{2,3},\d{3} bytes received/);
    proxy.heal();
    const [fetched] = await repository.fetch(inbox, [id]);
    expect(Buffer.from(fetched!.body).equals(big)).toBe(true);
  });

  it('dribbles in the middle of a literal: given up', async () => {
    const repository = await setUp();
    const scan = await repository.scan('INBOX');
    const [{ id }] = scan.messages as unknown as [{ id: string }];
    const inbox = folderRef('INBOX', scan);
    proxy.arm(/UID FETCH [^\r\n]*BODY/i, { kind: 'dribble', after: 100_000, everyMs: 50 });
    const error = await failure(repository.fetch(inbox, [id]));
    expect(error).toBeInstanceOf(StallError);
    expect(error.message).toMatch(/FETCH: only \d+ byte\(s\) in the last 2 s/);
  });

  it('an upload that drains steadily but takes several deadlines is not cut', async () => {
    const repository = await setUp(2000);
    // 24 MiB at about 6 MiB/s: some 4 s against a 2 s deadline, but every second moves bytes.
    // (The kernel's socket buffers hide the last few MB: those must drain within the deadline.)
    proxy.throttleUp(6 << 20);
    const [uid] = await repository.store('INBOX', [{ body: makeMessage({ subject: 'slow upload', size: 24 << 20 }), flags: [], internalDate: Date.UTC(2024, 0, 2) }]);
    expect(Number(uid)).toBeGreaterThan(0);
  });
});
