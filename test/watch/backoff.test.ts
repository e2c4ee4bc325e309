// The daemon's retry rule (DESIGN §6): 10 s doubling to 5 min, less up to
// 20% jitter, back to 10 s after a success; a refused login waits the longest.
import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF } from '../../src/api/watch/backoff.js';

/** The rule's value for the n-th failure in a row (n from 1). */
const rule = (n: number) => Math.min(DEFAULT_BACKOFF.initialMs * 2 ** (n - 1), DEFAULT_BACKOFF.maxMs);

describe('Backoff', () => {
  it('follows the rule with jitter: within [80%, 100%] of 10 s, 20 s, 40 s ... capped at 5 min', () => {
    for (const seed of [0, 0.37, 0.999]) {
      const backoff = new Backoff({ random: () => seed });
      const waits = Array.from({ length: 12 }, () => backoff.next());
      waits.forEach((wait, i) => {
        expect(wait).toBeLessThanOrEqual(rule(i + 1));
        expect(wait).toBeGreaterThanOrEqual(Math.floor(rule(i + 1) * (1 - DEFAULT_BACKOFF.jitter)));
      });
      expect(waits.at(-1)).toBeLessThanOrEqual(DEFAULT_BACKOFF.maxMs);
    }
  });

  it('without jitter, is exactly the rule; a success starts over; a refused login waits the longest', () => {
    const backoff = new Backoff({ jitter: 0 });
    expect(Array.from({ length: 7 }, () => backoff.next())).toEqual([10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000]);
    backoff.reset();
    expect(backoff.next()).toBe(10_000);
    expect(backoff.longest()).toBe(300_000);
  });

  it('spreads clients: two random sources give different waits', () => {
    let x = 0.1;
    const a = new Backoff({ random: () => (x = (x * 7.13) % 1) });
    const b = new Backoff({ random: () => 0.9 });
    expect(a.next()).not.toBe(b.next());
  });

  it('takes a shortened rule (tests, an impatient user)', () => {
    const backoff = new Backoff({ initialMs: 100, maxMs: 400, jitter: 0 });
    expect([backoff.next(), backoff.next(), backoff.next(), backoff.next()]).toEqual([100, 200, 400, 400]);
  });
});
