// The bytes a session sends, through what a hook made of the line: a byte
// budget after which it drops or stalls, and dribbling.
import type { Socket } from 'node:net';

export class Output {
  state: 'open' | 'stalled' | 'closed' = 'open';
  /** Bytes written to the socket so far. */
  written = 0;
  private budget?: { bytes: number; then: 'drop' | 'stall' };
  private dribbleMs?: number;

  constructor(private readonly socket: Socket) {
    socket.once('close', () => {
      this.state = 'closed';
    });
  }

  /** After `bytes` more bytes, close the connection (mid-line or mid-literal as it falls). */
  dropAfter(bytes: number): void {
    this.budget = { bytes, then: 'drop' };
  }

  /** After `bytes` more bytes, stop talking. */
  stallAfter(bytes: number): void {
    this.budget = { bytes, then: 'stall' };
  }

  /** From now on, one byte every `ms` milliseconds. */
  dribble(ms: number): void {
    this.dribbleMs = ms;
  }

  drop(): void {
    this.state = 'closed';
    this.socket.destroy();
  }

  stall(): void {
    if (this.state === 'open') this.state = 'stalled';
  }

  async write(data: Buffer): Promise<void> {
    if (this.state !== 'open') return;
    let chunk = data;
    let after: 'drop' | 'stall' | undefined;
    if (this.budget) {
      if (chunk.length >= this.budget.bytes) {
        chunk = chunk.subarray(0, this.budget.bytes);
        after = this.budget.then;
        delete this.budget;
      } else {
        this.budget.bytes -= chunk.length;
      }
    }
    if (this.dribbleMs !== undefined) {
      for (let i = 0; i < chunk.length && this.state === 'open'; i += 1) {
        await this.send(chunk.subarray(i, i + 1));
        await new Promise((resolve) => setTimeout(resolve, this.dribbleMs));
      }
    } else {
      await this.send(chunk);
    }
    if (after === 'drop') await new Promise<void>((resolve) => this.socket.end(resolve)).then(() => this.drop());
    if (after === 'stall') this.stall();
  }

  private async send(chunk: Buffer): Promise<void> {
    if (!chunk.length || this.state !== 'open') return;
    this.written += chunk.length;
    if (this.socket.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.once('drain', done);
      this.socket.once('close', done);
    });
  }
}
