import type { Socket } from 'node:net';
import type { ImapFlow } from 'imapflow';
import { internalsOf } from './imapflow-internals.js';

/** How long a call on a connection may go without moving bytes (`--timeout`), and the slowest rate it may keep up. */
export interface DeadlineOptions {
  /** No byte in or out for this long fails the call; also the window the rate is averaged over. */
  timeoutMs: number;
  /** Fewer bytes than this per second over the last `timeoutMs` fail it too: a server that dribbles. */
  minBytesPerSecond: number;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
/** Low enough for any real link, far above a server that sends a byte every few seconds. */
export const DEFAULT_MIN_BYTES_PER_SECOND = 512;

/** Why a call was given up, in numbers. */
export interface Stall {
  /** The IMAP command in flight, when imapflow had one ('FETCH', 'APPEND', 'LOGIN'...). */
  command: string | undefined;
  /** Bytes received and sent during the call. */
  received: number;
  sent: number;
  /** Bytes moved over the last window, and the window in ms. */
  recent: number;
  windowMs: number;
}

/** Largest single socket write; bigger ones are cut so that an upload's progress shows as it drains. */
const WRITE_SLICE = 256 * 1024;

/**
 * The deadline of one repository call. Every `tick` it reads the bytes the
 * connection has moved (received, as imapflow counts them, and sent, as the
 * socket has handed them to the kernel); when the last `timeoutMs` moved
 * fewer than `minBytesPerSecond * timeoutMs / 1000` bytes — none at all
 * included — it closes the connection and calls `onStall`. So a deadline
 * grows with the bytes a command moves: a 200 MB body at line rate is never
 * cut, a silent or dribbling server is, within about `timeoutMs`.
 */
export class CallDeadline {
  private client: ImapFlow | undefined;
  private socket: Socket | undefined;
  private received = 0;
  private sent = 0;
  private lastReceived = 0;
  private lastSent = 0;
  /** Total bytes moved at each tick of the last window, oldest first. */
  private samples: { at: number; moved: number }[] = [];
  private readonly timer: NodeJS.Timeout;
  stall: Stall | undefined;

  /** The clock starts at `attach`: reading a password or waiting for a turn is not the server's time. */
  constructor(private readonly options: DeadlineOptions, private readonly onStall: (stall: Stall) => void) {
    this.timer = setInterval(() => this.tick(), Math.max(10, Math.min(1000, options.timeoutMs / 10)));
  }

  /** Watches `client` from now on (a new connection replaces the previous one). */
  attach(client: ImapFlow): void {
    if (this.client === client) return;
    this.client = client;
    this.socket = socketOf(client);
    this.lastReceived = client.stats().received;
    this.lastSent = this.socket ? sentBytes(this.socket) : 0;
    this.restartWindow();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    if (this.stall || !this.client) return;
    const received = this.client.stats().received;
    this.received += Math.max(0, received - this.lastReceived);
    this.lastReceived = received;
    const socket = socketOf(this.client);
    if (socket) {
      // A new socket (the first one, or TLS after STARTTLS) counts its bytes from zero.
      if (socket !== this.socket) this.lastSent = 0;
      this.socket = socket;
      const sent = sentBytes(socket);
      this.sent += Math.max(0, sent - this.lastSent);
      this.lastSent = sent;
    }
    this.check(Date.now());
  }

  private restartWindow(): void {
    this.samples = [{ at: Date.now(), moved: this.received + this.sent }];
  }

  private check(now: number): void {
    const moved = this.received + this.sent;
    this.samples.push({ at: now, moved });
    const windowStart = now - this.options.timeoutMs;
    // Keep one sample at or before the window's start: the bytes moved since then are the window's.
    while (this.samples.length > 1 && this.samples[1]!.at <= windowStart) this.samples.shift();
    const first = this.samples[0]!;
    if (first.at > windowStart) return;
    const recent = moved - first.moved;
    if (recent >= (this.options.minBytesPerSecond * this.options.timeoutMs) / 1000 && recent > 0) return;
    const request = this.client ? internalsOf(this.client).currentRequest : undefined;
    this.stall = { command: request ? request.command : undefined, received: this.received, sent: this.sent, recent, windowMs: this.options.timeoutMs };
    this.stop();
    this.client?.close();
    this.onStall(this.stall);
  }
}

function socketOf(client: ImapFlow): Socket | undefined {
  return internalsOf(client).socket;
}

/** Bytes the socket has handed over: written minus still queued. */
function sentBytes(socket: Socket): number {
  return (socket.bytesWritten ?? 0) - (socket.writableLength ?? 0);
}

const SLICED = Symbol('imapfw.slicedWrites');

/**
 * imapflow writes a literal (a message it APPENDs) in one `write`; the socket
 * reports it sent only once all of it drained, so a slow but steady upload
 * would look stalled. Cut into slices written one after the other (each
 * once the previous one drained: queued together, the socket would hand them
 * to the kernel as one), the upload shows its progress slice by slice. Later
 * writes wait behind the slices, in order. Call once the connection is up
 * (after STARTTLS), before the first APPEND.
 */
export function sliceLargeWrites(client: ImapFlow): void {
  const socket = socketOf(client) as (Socket & { [SLICED]?: boolean }) | undefined;
  if (!socket || socket[SLICED]) return;
  socket[SLICED] = true;
  type Callback = (error?: Error | null) => void;
  const write = socket.write.bind(socket) as (chunk: unknown, callback?: Callback) => boolean;
  /** Writes waiting for the slice in flight; undefined when none is. */
  let queue: { chunk: unknown; callback: Callback | undefined }[] | undefined;
  const pump = () => {
    const next = queue!.shift();
    if (!next) return void (queue = undefined);
    write(next.chunk, (error) => {
      next.callback?.(error);
      if (!error) pump();
    });
  };
  socket.write = ((chunk: unknown, encoding?: unknown, callback?: unknown) => {
    const done = (typeof encoding === 'function' ? encoding : callback) as Callback | undefined;
    const data = typeof chunk === 'string' ? Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8') : chunk;
    const large = data instanceof Uint8Array && data.byteLength > WRITE_SLICE;
    if (!queue && !large) return write(data, done);
    const pieces: unknown[] = [];
    if (large) for (let offset = 0; offset < data.byteLength; offset += WRITE_SLICE) pieces.push(data.subarray(offset, offset + WRITE_SLICE));
    else pieces.push(data);
    const idle = !queue;
    queue ??= [];
    pieces.forEach((piece, index) => queue!.push({ chunk: piece, callback: index === pieces.length - 1 ? done : undefined }));
    if (idle) pump();
    return true;
  }) as Socket['write'];
}

/** "FETCH: no data for 60 s (3,456 bytes received and 120 sent during the call)". */
export function describeStall(stall: Stall): string {
  const seconds = Math.round(stall.windowMs / 1000);
  const recent = stall.recent === 0 ? `no data for ${seconds} s` : `only ${stall.recent} byte(s) in the last ${seconds} s`;
  const total = `${stall.received.toLocaleString('en')} bytes received and ${stall.sent.toLocaleString('en')} sent during the call`;
  return `${stall.command ? `${stall.command}: ` : ''}${recent} (${total})`;
}
