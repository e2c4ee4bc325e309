// A clock a test moves by hand (src/api/watch/clock.ts): timers fire when
// monotonic time passes them; a suspend moves the wall clock alone.
import type { Clock } from '../../src/api/watch/clock.js';

export class FakeClock implements Clock {
  private wallMs = Date.UTC(2026, 10, 26, 12);
  private monotonicMs = 1_000;
  private timers: { at: number; callback: () => void }[] = [];

  wall(): number {
    return this.wallMs;
  }

  monotonic(): number {
    return this.monotonicMs;
  }

  setTimer(callback: () => void, ms: number): () => void {
    const timer = { at: this.monotonicMs + ms, callback };
    this.timers.push(timer);
    return () => (this.timers = this.timers.filter((t) => t !== timer));
  }

  /** Time passes while the machine runs: both clocks move, due timers fire in order (promises settle between them). */
  async advance(ms: number): Promise<void> {
    const end = this.monotonicMs + ms;
    for (;;) {
      await settle();
      const next = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.wallMs += next.at - this.monotonicMs;
      this.monotonicMs = next.at;
      this.timers = this.timers.filter((t) => t !== next);
      next.callback();
    }
    this.wallMs += end - this.monotonicMs;
    this.monotonicMs = end;
    await settle();
  }

  /** The machine sleeps: the wall clock moves, the monotonic one does not. */
  suspend(ms: number): void {
    this.wallMs += ms;
  }
}

/** Lets pending promise callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
