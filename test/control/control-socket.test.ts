// The daemon's control socket against a fake daemon: the protocol, its
// safety (mode 0600, one daemon per state directory, stale sockets) and its
// robustness (garbage and idle clients never hold up anyone else).
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { ControlError, DaemonClient, DaemonRunningError, NoDaemonError, serveControl, type ControlServer, type WatchControlServer } from '../../src/api/index.js';
import { tempDirs } from '../support/temp-dirs.js';
import { FakeDaemon } from './fake-daemon.js';

const opened: { close(): unknown }[] = [];
afterEach(async () => {
  for (const thing of opened.splice(0).reverse()) await thing.close();
});

const stateDir = tempDirs('ctl');

async function serve(daemon: FakeDaemon, dir: string): Promise<ControlServer> {
  const server = await serveControl(daemon, { stateDir: dir });
  opened.push(server);
  return server;
}

async function connect(dir: string): Promise<DaemonClient> {
  const client = await DaemonClient.connect(dir);
  opened.push(client);
  return client;
}

/** A raw connection that collects the reply lines it gets. */
async function raw(path: string): Promise<{ socket: Socket; lines: Record<string, unknown>[]; closed: Promise<void>; next(count: number): Promise<Record<string, unknown>[]> }> {
  const socket = createConnection(path);
  opened.push({ close: () => socket.destroy() });
  await new Promise((resolve) => socket.once('connect', resolve));
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let wake = () => {};
  socket.on('data', (chunk) => {
    buffered += String(chunk);
    const parts = buffered.split('\n');
    buffered = parts.pop()!;
    lines.push(...parts.map((part) => JSON.parse(part) as Record<string, unknown>));
    wake();
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const next = async (count: number) => {
    while (lines.length < count) await new Promise<void>((resolve) => (wake = resolve));
    return lines.splice(0, count);
  };
  return { socket, lines, closed, next };
}

describe('control socket', () => {
  it('serveControl is the hook the --watch path takes (a WatchControlServer)', () => {
    expectTypeOf(serveControl).toExtend<WatchControlServer>();
  });

  it("answers status with the daemon's status and where its socket is; the socket is 0600 and nothing else is left in the state directory", async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    const server = await serve(daemon, dir);
    expect(server.path).toBe(join(dir, 'imapfw.sock'));
    const stat = statSync(server.path);
    expect(stat.isSocket()).toBe(true);
    expect(stat.mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['imapfw.sock', 'imapfw.sock.lock']);

    const status = await (await connect(dir)).status();
    expect(status).toEqual({ ...daemon.status(), socket: server.path });
    expect(status.accounts[0]).toMatchObject({ account: 'work', connection: 'backing-off', nextRetryAt: '2026-11-26T09:05:00.000Z', lastError: { code: 'ENETWORK' } });
  });

  it('sync runs a pass with the folders asked for and answers with its summary and exit code once it ends', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    await serve(daemon, dir);
    const client = await connect(dir);
    const reply = client.sync({ folders: ['INBOX', 'Archive/2026'] });
    await expect.poll(() => daemon.passesRunning).toBe(1);
    daemon.endPass(3, 0);
    const { summary, exitCode } = await reply;
    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({ folders: 1, copied: 3, bytes: 300, complete: true });
    expect(daemon.syncRequests).toEqual([['INBOX', 'Archive/2026']]);
  });

  it('refuses a pass for an account it does not serve or for another app (ENOTSERVED), running nothing', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon('mirror', ['work', 'home']);
    await serve(daemon, dir);
    const client = await connect(dir);
    await expect(client.sync({ accounts: ['work', 'club'] })).rejects.toThrow(new ControlError('ENOTSERVED', 'this daemon does not serve account club (it serves work, home)'));
    await expect(client.sync({ app: 'sync', accounts: ['work'] })).rejects.toMatchObject({ code: 'ENOTSERVED', message: 'this daemon runs imapfw mirror, not sync' });
    expect(daemon.syncRequests).toEqual([]);
  });

  it('answers garbage and unknown requests with an error, on the same connection, while a sync goes on; a silent client holds up nobody', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    const server = await serve(daemon, dir);
    const syncing = (await connect(dir)).sync({});
    await expect.poll(() => daemon.passesRunning).toBe(1);

    const silent = await raw(server.path);
    silent.socket.write('{"op":"sta'); // and nothing more
    const noisy = await raw(server.path);
    noisy.socket.write('garbage\n[1,2]\n{"id":7,"op":"fly"}\n{"id":"x","op":"sync","folders":"INBOX"}\n{"id":8,"op":"status"}\n');
    const replies = await noisy.next(5);
    const errors = replies.filter((reply) => reply.ok === false);
    expect(errors.map((reply) => [reply.id, (reply.error as { code: string }).code])).toEqual([
      [null, 'EBADREQUEST'],
      [null, 'EBADREQUEST'],
      [7, 'EBADREQUEST'],
      ['x', 'EBADREQUEST'],
    ]);
    expect((errors[2]!.error as { message: string }).message).toBe('unknown op "fly": expected one of status, sync, pause, resume, stop');
    expect(replies.find((reply) => reply.id === 8)).toMatchObject({ ok: true, result: { app: 'sync', socket: server.path } });

    expect(daemon.passesRunning).toBe(1);
    daemon.endPass(2);
    expect((await syncing).summary.copied).toBe(2);
  });

  it('answers a client that sent its request and closed its side at once, then closes', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    const server = await serve(daemon, dir);
    const oneShot = await raw(server.path);
    oneShot.socket.end('{"id":1,"op":"sync"}\n{"id":2,"op":"status"}\n');
    await expect.poll(() => daemon.passesRunning).toBe(1);
    daemon.endPass(1);
    const replies = await oneShot.next(2);
    expect(replies.map((reply) => [reply.id, reply.ok])).toEqual([
      [2, true],
      [1, true],
    ]);
    await oneShot.closed;
  });

  it('closes a connection that sends a line longer than the limit, after saying why', async () => {
    const dir = stateDir();
    const server = await serve(new FakeDaemon(), dir);
    const flood = await raw(server.path);
    flood.socket.write('x'.repeat(100 * 1024));
    const [reply] = await flood.next(1);
    expect(reply).toMatchObject({ ok: false, error: { code: 'EBADREQUEST' } });
    await flood.closed;
    expect((await (await connect(dir)).status()).app).toBe('sync');
  });

  it('pause, resume and stop reach the daemon; stop is answered once it has stopped', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    await serve(daemon, dir);
    const client = await connect(dir);
    expect(await client.pause()).toEqual({ paused: true });
    expect((await client.status()).paused).toBe(true);
    expect(await client.resume()).toEqual({ paused: false });
    expect(await client.stop()).toEqual({ stopped: true });
    expect(daemon.calls.filter((call) => call !== 'status')).toEqual(['pause', 'resume', 'stop']);
    expect(daemon.stopped).toBe(true);
  });

  it('a second daemon on the same state directory is refused, and the first one keeps its socket', async () => {
    const dir = stateDir();
    const first = await serve(new FakeDaemon(), dir);
    await expect(serveControl(new FakeDaemon(), { stateDir: dir })).rejects.toThrow(DaemonRunningError);
    await expect(serveControl(new FakeDaemon(), { stateDir: dir })).rejects.toThrow(new RegExp(`already serves ${first.path} \\(pid ${process.pid}`));
    expect((await (await connect(dir)).status()).pid).toBe(process.pid);
  });

  it('replaces the socket of a daemon that was killed, and leaves alone one that still answers', async () => {
    const dir = stateDir();
    const path = join(dir, 'imapfw.sock');
    // Another process listens on the path, then is killed: its socket file stays behind.
    const listener = spawn(process.execPath, ['-e', "require('net').createServer().listen(process.argv[1], () => console.log('up'))", path], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise((resolve) => listener.stdout.once('data', resolve));
    await expect(serveControl(new FakeDaemon(), { stateDir: dir })).rejects.toThrow(new DaemonRunningError(path, 'it answers on the socket'));
    expect(statSync(path).isSocket()).toBe(true);
    const exited = new Promise((resolve) => listener.once('exit', resolve));
    process.kill(listener.pid!, 'SIGKILL');
    await exited;
    await expect(DaemonClient.connect(dir)).rejects.toThrow(NoDaemonError);
    await expect(DaemonClient.connect(dir)).rejects.toThrow(/a socket left by a daemon that is gone/);

    await serve(new FakeDaemon(), dir);
    expect((await (await connect(dir)).status()).app).toBe('sync');
  });

  it('refuses to replace a file that is not a socket', async () => {
    const dir = stateDir();
    writeFileSync(join(dir, 'imapfw.sock'), 'mine');
    await expect(serveControl(new FakeDaemon(), { stateDir: dir })).rejects.toThrow(/is in the way of the control socket and is not a socket; remove it/);
  });

  it('close() removes the socket and its lock; then no daemon is found, with the reason', async () => {
    const dir = stateDir();
    const server = await serveControl(new FakeDaemon(), { stateDir: dir });
    await server.close();
    expect(readdirSync(dir)).toEqual([]);
    const error = await DaemonClient.connect(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoDaemonError);
    expect((error as NoDaemonError).message).toBe(
      `no imapfw daemon runs for this state directory (no socket at ${join(dir, 'imapfw.sock')}); start one with \`imapfw sync --watch\` or \`imapfw mirror --watch\` (a change made meanwhile is found by its first pass)`,
    );
  });

  it('puts the socket of a state directory too deep for a socket path in the runtime directory, where the client finds it', async () => {
    const runtimeDir = stateDir();
    const saved = process.env.XDG_RUNTIME_DIR;
    process.env.XDG_RUNTIME_DIR = runtimeDir;
    opened.push({ close: () => (saved === undefined ? delete process.env.XDG_RUNTIME_DIR : (process.env.XDG_RUNTIME_DIR = saved)) });
    const deep = join(stateDir(), 'a'.repeat(60), 'b'.repeat(40));
    const server = await serve(new FakeDaemon(), deep);
    expect(server.path).toMatch(new RegExp(`^${runtimeDir}/imapfw-[0-9a-f]{16}\\.sock$`));
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    expect(existsSync(join(deep, 'imapfw.sock'))).toBe(false);
    expect((await (await connect(deep)).status()).socket).toBe(server.path);
  });
});
