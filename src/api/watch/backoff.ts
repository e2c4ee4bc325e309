/** The retry rule of a daemon that lost its server (DESIGN §6): exponential from `initialMs` to `maxMs`, with jitter. */
export interface BackoffOptions {
  /** The first wait (default 10 s). */
  initialMs?: number;
  /** The longest wait (default 5 min); also the wait after a refused login. */
  maxMs?: number;
  /** Fraction of each wait taken off at random, so that many clients do not retry in step (default 0.2). */
  jitter?: number;
  /** A number in [0, 1): Math.random unless a test gives its own. */
  random?: () => number;
}

export const DEFAULT_BACKOFF = { initialMs: 10_000, maxMs: 300_000, jitter: 0.2 } as const;

/**
 * The waits between attempts: the n-th failure in a row waits
 * min(initial * 2^(n-1), max), less up to `jitter` of it at random; a success
 * starts over at `initial`. Never more than `max`, never less than
 * (1 - jitter) of the rule's value.
 */
export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? DEFAULT_BACKOFF.initialMs;
    this.maxMs = Math.max(this.initialMs, options.maxMs ?? DEFAULT_BACKOFF.maxMs);
    this.jitter = Math.min(1, Math.max(0, options.jitter ?? DEFAULT_BACKOFF.jitter));
    this.random = options.random ?? Math.random;
  }

  /** The wait before the next attempt, after one more failure. */
  next(): number {
    const rule = Math.min(this.initialMs * 2 ** Math.min(this.failures, 40), this.maxMs);
    this.failures++;
    return this.withJitter(rule);
  }

  /** The longest wait (after a refused login: retrying sooner would only be refused again). */
  longest(): number {
    this.failures++;
    return this.withJitter(this.maxMs);
  }

  reset(): void {
    this.failures = 0;
  }

  /** Failures in a row since the last success. */
  get attempts(): number {
    return this.failures;
  }

  private withJitter(ms: number): number {
    return Math.round(ms * (1 - this.jitter * this.random()));
  }
}
