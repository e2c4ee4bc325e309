import { describe, expect, it } from 'vitest';
import { isSelective, selects, selectsByAge } from '../../src/api/engines/message-selection.js';
import { TokenBucket, throttleFor } from '../../src/api/engines/rate-limit.js';

const DAY = 86_400_000;
const now = Date.UTC(2026, 10, 1);

describe('selects', () => {
  it('keeps everything without a selection', () => {
    expect(selects(undefined, { size: 1e9, internalDate: 0 })).toBe(true);
    expect(isSelective(undefined)).toBe(false);
    expect(isSelective({ now })).toBe(false);
    expect(isSelective({ maxSize: 1 })).toBe(true);
  });

  it('bounds size inclusively', () => {
    expect(selects({ maxSize: 100 }, { size: 100, internalDate: now })).toBe(true);
    expect(selects({ maxSize: 100 }, { size: 101, internalDate: now })).toBe(false);
  });

  it('measures ages in days from `now`', () => {
    const aged = (days: number) => ({ size: 1, internalDate: now - days * DAY });
    expect(selects({ maxAgeDays: 30, now }, aged(29))).toBe(true);
    expect(selects({ maxAgeDays: 30, now }, aged(30))).toBe(true);
    expect(selects({ maxAgeDays: 30, now }, aged(31))).toBe(false);
    expect(selects({ minAgeDays: 30, now }, aged(29))).toBe(false);
    expect(selects({ minAgeDays: 30, now }, aged(31))).toBe(true);
    expect(selects({ minAgeDays: 10, maxAgeDays: 20, now }, aged(15))).toBe(true);
    expect(selects({ minAgeDays: 10, maxAgeDays: 20, now }, aged(5))).toBe(false);
  });

  it('keeps a message whose date the scan did not read, and says which selections need dates', () => {
    expect(selects({ maxAgeDays: 30, now }, { size: 1 })).toBe(true);
    expect(selects({ maxAgeDays: 30, maxSize: 1, now }, { size: 2 })).toBe(false);
    expect([{ maxAgeDays: 1 }, { minAgeDays: 1 }, { maxSize: 1 }, undefined].map(selectsByAge)).toEqual([true, true, false, false]);
  });
});

describe('TokenBucket', () => {
  it('lets one second of tokens through at once, then waits for the debt', async () => {
    let clock = 0;
    const waits: number[] = [];
    const bucket = new TokenBucket(10, () => clock, async (ms) => {
      waits.push(ms);
      clock += ms;
    });
    await bucket.take(10);
    expect(waits).toEqual([]);
    await bucket.take(5);
    expect(waits).toEqual([500]);
    await bucket.take(20); // larger than the bucket: let through, then paid back
    expect(waits[1]).toBeCloseTo(2000);
    clock += 10_000; // idle time refills at most one second's worth
    await bucket.take(10);
    expect(waits).toHaveLength(2);
  });

  it('throttles real time across callers sharing a key', async () => {
    const limit = { messagesPerSecond: 20, key: `test-${Math.random()}` };
    const a = throttleFor(limit)!;
    const b = throttleFor(limit)!;
    const started = performance.now();
    await Promise.all([a(10, 0), b(10, 0), a(10, 0), b(10, 0)]);
    // 40 messages at 20/s with a 20-message burst: about 1 s.
    expect(performance.now() - started).toBeGreaterThan(900);
    expect(throttleFor(undefined)).toBeUndefined();
    expect(throttleFor({})).toBeUndefined();
  });
});
