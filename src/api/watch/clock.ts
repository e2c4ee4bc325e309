/**
 * Time as a daemon needs it, injectable so that tests can jump it: the wall
 * clock (what status shows), a monotonic clock (what waits are measured
 * with), and timers. On Linux the monotonic clock stops while the machine
 * sleeps and the wall clock does not: a gap between the two is a resume.
 */
export interface Clock {
  /** Milliseconds since the epoch (Date.now). */
  wall(): number;
  /** Milliseconds on a clock that never jumps and stops during a suspend (performance.now). */
  monotonic(): number;
  /** Calls `callback` after `ms` (monotonic); returns what cancels it. Never keeps the process alive by itself. */
  setTimer(callback: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  wall: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer(callback, ms) {
    const timer = setTimeout(callback, ms);
    timer.unref();
    return () => clearTimeout(timer);
  },
};

/** A wall-clock gap beyond what the monotonic clock saw, larger than this, is a resume from sleep (or a clock step). */
export const RESUME_GAP_MS = 30_000;

/**
 * Notices a resume from sleep: every `everyMs` it compares how far each clock
 * moved since the last look; when the wall clock moved `RESUME_GAP_MS` more
 * than the monotonic one (the machine slept), `onResume` is called with the gap.
 */
export class ResumeDetector {
  private lastWall: number;
  private lastMonotonic: number;
  private cancel: (() => void) | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly onResume: (gapMs: number) => void,
    private readonly everyMs = 10_000,
  ) {
    this.lastWall = clock.wall();
    this.lastMonotonic = clock.monotonic();
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.cancel?.();
    this.cancel = undefined;
  }

  /** Compares the clocks now (also called by the timer); true when a resume was seen. */
  check(): boolean {
    const wall = this.clock.wall();
    const monotonic = this.clock.monotonic();
    const wallMoved = wall - this.lastWall;
    const monotonicMoved = monotonic - this.lastMonotonic;
    this.lastWall = wall;
    this.lastMonotonic = monotonic;
    const gap = wallMoved - monotonicMoved;
    if (gap < RESUME_GAP_MS) return false;
    this.onResume(gap);
    return true;
  }

  private schedule(): void {
    this.cancel = this.clock.setTimer(() => {
      this.check();
      this.schedule();
    }, this.everyMs);
  }
}
