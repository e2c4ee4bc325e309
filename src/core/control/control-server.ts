/**
 * The daemon's control socket (`imapfw ctl`, one-shot hand-off): a Unix
 * socket per state directory, mode 0600, JSON lines (control-protocol.ts).
 *
 * The socket never exists with a wider mode: it is bound inside a fresh
 * directory only we can enter (mkdtemp: 0700), made 0600 there, then renamed
 * into place. (A umask would do it too, but the umask is the process's: it
 * would also narrow the files the daemon's worker threads create meanwhile.)
 *
 * One daemon per socket: the daemon holds a lock file beside the socket for
 * its life (the account lock's kind: a dead holder's lock is taken over). A
 * socket left by a dead daemon is replaced once a connection to it fails; a
 * socket that answers is never touched.
 *
 * Each connection is served on its own: a request that takes long (a sync)
 * or a client that sends garbage or stops reading holds up only itself.
 */
import { chmodSync, lstatSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import type { ControlReply, ControlRequest, ControlResults, RequestId } from '../../api/watch/control-protocol.js';
import { MAX_REQUEST_BYTES } from '../../api/watch/control-protocol.js';
import { ConfigError, DaemonRunningError, StateLockedError } from '../../api/errors.js';
import type { WatchControl } from '../../api/watch/types.js';
import { withoutSecrets } from '../output/secrets.js';
import { AccountLock } from '../state/account-lock.js';
import { defaultStateDir } from '../state/paths.js';
import { readLines, writeLine } from './json-lines.js';
import { BadRequest, parseRequest } from './parse-request.js';
import { controlSocketPlace } from './socket-path.js';
import { makeDirsSync } from '../make-dirs.js';

/** A connection with no request in progress is closed after this long. */
const IDLE_MS = 60_000;
/** A client that has not read this much of its replies is dropped. */
const MAX_UNREAD_BYTES = 16 * 1024 * 1024;
/** How long close() lets replies in progress finish before dropping their connections. */
const CLOSE_GRACE_MS = 5_000;
const MAX_CONNECTIONS = 64;

/** Where the daemon logs (pino's shape; a pino Logger fits). */
export interface ControlLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface ControlServerOptions {
  /** The state directory (absolute); its socket is `STATE_DIR/imapfw.sock` unless too deep (see socket-path.ts). */
  stateDir: string;
  logger?: ControlLogger;
}

export class ControlServer {
  /** Each connection and its requests in progress. */
  private readonly busy = new Map<Socket, number>();
  /** Connections whose client has sent everything: ended once their last reply is written. */
  private readonly finished = new WeakSet<Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly control: WatchControl,
    private readonly server: Server,
    /** The socket's path. */
    readonly path: string,
    private readonly inode: { dev: number; ino: number },
    private readonly lock: AccountLock,
  ) {}

  /** Listens on the state directory's control socket. Throws DaemonRunningError if another daemon serves it. */
  static async start(control: WatchControl, options: ControlServerOptions): Promise<ControlServer> {
    const place = controlSocketPlace(options.stateDir);
    makeDirsSync(dirname(place.path), 0o700);
    let lock: AccountLock;
    try {
      lock = AccountLock.acquire(`${place.path}.lock`);
    } catch (error) {
      if (error instanceof StateLockedError) throw new DaemonRunningError(place.path, error.holder);
      throw error;
    }
    try {
      await replaceIfStale(place.path);
      // Half-open: a client may send its request and close its side at once (`printf ... | socat`); it still gets its replies.
      const server = createServer({ allowHalfOpen: true });
      server.maxConnections = MAX_CONNECTIONS;
      const inode = await bindPrivately(server, place.path);
      const instance = new ControlServer(control, server, place.path, inode, lock);
      server.on('connection', (socket) => instance.serve(socket));
      if (place.relocated) options.logger?.info({ socket: place.path, stateDir: options.stateDir }, 'control socket moved out of the state directory (its path would be too long for a Unix socket)');
      return instance;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /**
   * Stops listening and removes the socket at once; connections idle now are
   * closed, those with a request in progress get their reply first (for at
   * most a few seconds). Safe to call twice, and from within `control.stop()`.
   */
  close(): Promise<void> {
    return (this.closing ??= this.shutDown());
  }

  private async shutDown(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.removeSocket();
    this.lock.release();
    for (const [socket, requests] of this.busy) {
      if (requests === 0) socket.end();
    }
    const drop = setTimeout(() => {
      for (const socket of this.busy.keys()) socket.destroy();
    }, CLOSE_GRACE_MS);
    drop.unref();
    if (this.busy.size === 0) clearTimeout(drop);
    // The server's close waits for its connections; a caller waiting on us (control.stop()) must not wait on itself.
    void closed.then(() => clearTimeout(drop));
  }

  /** Removes the socket if the name still holds ours (a newer daemon may have replaced it after we were gone). */
  private removeSocket(): void {
    try {
      const stat = statSync(this.path);
      if (stat.dev === this.inode.dev && stat.ino === this.inode.ino) unlinkSync(this.path);
    } catch {
      // Already gone.
    }
  }

  private serve(socket: Socket): void {
    this.busy.set(socket, 0);
    socket.setTimeout(IDLE_MS);
    socket.on('timeout', () => {
      if (this.busy.get(socket) === 0) socket.destroy();
    });
    socket.on('error', () => {}); // A client gone mid-reply is its own business.
    socket.on('close', () => this.busy.delete(socket));
    socket.on('end', () => {
      this.finished.add(socket);
      if (this.busy.get(socket) === 0) socket.end();
    });
    readLines(
      socket,
      MAX_REQUEST_BYTES,
      (line) => void this.answer(socket, line),
      () => {
        this.reply(socket, { id: null, ok: false, error: { code: 'EBADREQUEST', message: `request longer than ${MAX_REQUEST_BYTES} bytes without a line end; closing` } });
        socket.end();
      },
    );
  }

  private async answer(socket: Socket, line: string): Promise<void> {
    let id: RequestId = null;
    this.busy.set(socket, (this.busy.get(socket) ?? 0) + 1);
    try {
      const request = parseRequest(line);
      id = request.id ?? null;
      this.reply(socket, { id, ok: true, result: await this.perform(request) });
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      this.reply(socket, { id: error instanceof BadRequest ? error.id : id, ok: false, error: { code: typeof code === 'string' ? code : 'EINTERNAL', message: String(message ?? error) } });
    } finally {
      const left = (this.busy.get(socket) ?? 1) - 1;
      if (this.busy.has(socket)) this.busy.set(socket, left);
      if (left === 0 && (this.closing || this.finished.has(socket))) socket.end();
    }
  }

  private async perform(request: ControlRequest): Promise<ControlResults[ControlRequest['op']]> {
    switch (request.op) {
      case 'status':
        return { ...this.control.status(), socket: this.path };
      case 'sync': {
        this.checkServed(request);
        return this.control.syncNow(request.folders);
      }
      case 'pause':
        this.control.pause();
        return { paused: true };
      case 'resume':
        this.control.resume();
        return { paused: false };
      case 'stop':
        await this.control.stop();
        return { stopped: true };
    }
  }

  /** A pass for another app, or for an account this daemon does not serve, is refused: the caller then runs it itself. */
  private checkServed(request: Extract<ControlRequest, { op: 'sync' }>): void {
    const status = this.control.status();
    if (request.app !== undefined && request.app !== status.app) throw new NotServedError(`this daemon runs imapfw ${status.app}, not ${request.app}`);
    const served = new Set(status.accounts.map((account) => account.account));
    const unknown = (request.accounts ?? []).filter((account) => !served.has(account));
    if (unknown.length) throw new NotServedError(`this daemon does not serve account ${unknown.join(', ')} (it serves ${[...served].join(', ') || 'none'})`);
  }

  private reply(socket: Socket, reply: ControlReply): void {
    writeLine(socket, withoutSecrets(JSON.stringify(reply)));
    if (socket.writableLength > MAX_UNREAD_BYTES) socket.destroy();
  }
}

class NotServedError extends Error {
  readonly code = 'ENOTSERVED';
}

/** Replaces nothing that answers: a socket a live daemon listens on ends the start; one nobody listens on is removed. */
async function replaceIfStale(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return; // nothing there
  }
  if (!isSocket) throw new ConfigError(`${path} is in the way of the control socket and is not a socket; remove it`);
  if (await answers(path)) throw new DaemonRunningError(path, 'it answers on the socket');
  unlinkSync(path);
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createConnection(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Binds `server` to a socket that appears at `path` already 0600 (see the file's comment); returns its inode. */
async function bindPrivately(server: Server, path: string): Promise<{ dev: number; ino: number }> {
  const detour = mkdtempSync(join(dirname(path), '.ctl-'));
  const bound = join(detour, 's');
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(bound, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(bound, 0o600);
    renameSync(bound, path);
    const { dev, ino } = statSync(path);
    return { dev, ino };
  } catch (error) {
    server.close();
    throw error;
  } finally {
    rmSync(detour, { recursive: true, force: true }); // empty once the socket is in place
  }
}

/**
 * The hook a daemon (`--watch`) calls once it runs (a WatchControlServer):
 * serves `control` on the state directory's socket (default
 * $XDG_STATE_HOME/imapfw) until `close()`. Throws DaemonRunningError if
 * another daemon serves it. The accounts served are the daemon's to say (its
 * status), so `where.accounts` is not needed here.
 */
export function serveControl(control: WatchControl, where: { stateDir?: string; logger?: ControlLogger } = {}): Promise<ControlServer> {
  return ControlServer.start(control, { ...where, stateDir: where.stateDir ?? defaultStateDir() });
}
