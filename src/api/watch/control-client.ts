import { createConnection, type Socket } from 'node:net';
import { controlSocketPlace } from '../../core/control/socket-path.js';
import { readLines, writeLine } from '../../core/control/json-lines.js';
import { defaultStateDir } from '../../core/state/paths.js';
import { ControlError, NoDaemonError } from '../errors.js';
import type { ControlReply, ControlRequest, ControlResults, ControlStatus } from './control-protocol.js';
import type { PassSummary } from './types.js';

/** Replies can be long (a summary naming every skipped message): read up to this much per line. */
const MAX_REPLY_BYTES = 256 * 1024 * 1024;

/**
 * A connection to the daemon of a state directory, as `imapfw ctl` uses it:
 * `const daemon = await DaemonClient.connect(stateDir); await daemon.sync({ folders: ['INBOX'] })`.
 * Requests may overlap; each resolves with its own reply. A refused request
 * rejects with a ControlError carrying the daemon's code and message.
 */
export class DaemonClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (result: unknown) => void; reject: (error: Error) => void }>();
  private gone: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    /** The socket's path. */
    readonly path: string,
  ) {
    readLines(socket, MAX_REPLY_BYTES, (line) => this.receive(line), () => this.fail(new ControlError('EBADREPLY', `the daemon at ${path} sent a reply too long to read`)));
    socket.on('error', (error) => this.fail(new NoDaemonError(path, `the connection failed: ${error.message}`)));
    socket.on('close', () => this.fail(new NoDaemonError(path, 'the daemon closed the connection before answering')));
  }

  /** Connects to the daemon of `stateDir` (default: $XDG_STATE_HOME/imapfw). Throws NoDaemonError when none listens. */
  static connect(stateDir = defaultStateDir()): Promise<DaemonClient> {
    const { path } = controlSocketPlace(stateDir);
    return new Promise((resolve, reject) => {
      const socket = createConnection(path);
      socket.once('connect', () => {
        socket.off('error', reject);
        resolve(new DaemonClient(socket, path));
      });
      socket.once('error', (error: NodeJS.ErrnoException) => reject(new NoDaemonError(path, whyNoConnection(error))));
    });
  }

  status(): Promise<ControlStatus> {
    return this.request('status', {});
  }

  /** Runs a pass now and resolves with its summary once it has ended (see the `sync` request for `app` and `accounts`). */
  sync(request: Omit<Extract<ControlRequest, { op: 'sync' }>, 'id' | 'op'> = {}): Promise<PassSummary> {
    return this.request('sync', request);
  }

  pause(): Promise<ControlResults['pause']> {
    return this.request('pause', {});
  }

  resume(): Promise<ControlResults['resume']> {
    return this.request('resume', {});
  }

  /** Resolves once the daemon has stopped. */
  stop(): Promise<ControlResults['stop']> {
    return this.request('stop', {});
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private request<Op extends keyof ControlResults>(op: Op, fields: object): Promise<ControlResults[Op]> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (result: unknown) => void, reject });
      writeLine(this.socket, JSON.stringify({ ...fields, id, op }));
    });
  }

  private receive(line: string): void {
    let reply: ControlReply;
    try {
      reply = JSON.parse(line) as ControlReply;
    } catch {
      return this.fail(new ControlError('EBADREPLY', `the daemon at ${this.path} sent a line that is not JSON`));
    }
    const waiter = typeof reply.id === 'number' ? this.waiting.get(reply.id) : undefined;
    if (!waiter) return;
    this.waiting.delete(reply.id as number);
    if (reply.ok) waiter.resolve(reply.result);
    else waiter.reject(new ControlError(reply.error.code, reply.error.message));
  }

  private fail(error: Error): void {
    this.gone ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    this.socket.destroy();
  }
}

function whyNoConnection(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ENOENT':
      return 'no socket';
    case 'ECONNREFUSED':
      return 'a socket left by a daemon that is gone';
    default:
      return `cannot connect: ${error.code ?? error.message}`;
  }
}
