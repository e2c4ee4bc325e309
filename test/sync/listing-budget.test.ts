import { describe, expect, it } from 'vitest';
import { ListingBudget, listingBudget } from '../../src/api/engines/listing-budget.js';
import { SyncFolder } from '../../src/api/engines/sync-folder.js';
import { ConfigError } from '../../src/api/errors.js';
import { mirrorPolicy } from '../../src/api/policy.js';
import type { ActorContext } from '../../src/api/app.js';

/** Lets every settled promise's callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Starts `hold(weight)` and records when it is granted. */
function request(budget: ListingBudget, weight: number, granted: number[]): Promise<() => void> {
  return budget.hold(weight).then((release) => {
    granted.push(weight);
    return release;
  });
}

describe('ListingBudget', () => {
  it('lets folders share the budget while they fit, and makes the next one wait for room', async () => {
    const budget = new ListingBudget(100);
    const granted: number[] = [];
    const first = request(budget, 40, granted);
    const second = request(budget, 50, granted);
    const third = request(budget, 30, granted);
    await settle();
    expect(granted).toEqual([40, 50]);
    (await first)();
    await settle();
    expect(granted).toEqual([40, 50, 30]);
    (await second)();
    (await third)();
  });

  it('runs a folder bigger than the budget alone', async () => {
    const budget = new ListingBudget(100);
    const granted: number[] = [];
    const small = request(budget, 10, granted);
    const big = request(budget, 1_000_000, granted);
    await settle();
    expect(granted).toEqual([10]);
    (await small)();
    await settle();
    expect(granted).toEqual([10, 1_000_000]);
    const after = request(budget, 1, granted);
    await settle();
    expect(granted).toHaveLength(2);
    (await big)();
    await settle();
    expect(granted).toEqual([10, 1_000_000, 1]);
    (await after)();
  });

  it('serves in order: a small folder does not pass a big one waiting before it', async () => {
    const budget = new ListingBudget(100);
    const granted: number[] = [];
    const holding = request(budget, 60, granted);
    const big = request(budget, 80, granted);
    const small = request(budget, 5, granted);
    await settle();
    expect(granted).toEqual([60]);
    (await holding)();
    await settle();
    expect(granted).toEqual([60, 80, 5]);
    (await big)();
    (await small)();
  });

  it('never holds back a folder of unknown size (weight 0)', async () => {
    const budget = new ListingBudget(10);
    const granted: number[] = [];
    const whole = request(budget, 10, granted);
    const waiting = request(budget, 10, granted);
    const unknown = request(budget, 0, granted);
    await settle();
    expect(granted).toEqual([10, 0]);
    (await unknown)();
    (await whole)();
    await settle();
    expect(granted).toEqual([10, 0, 10]);
    (await waiting)();
  });

  it('gives the room back once, however often release is called', async () => {
    const budget = new ListingBudget(10);
    const granted: number[] = [];
    const release = await budget.hold(6);
    release();
    release();
    const a = request(budget, 6, granted);
    const b = request(budget, 6, granted);
    await settle();
    // A second release of the first hold must not have made room for both.
    expect(granted).toEqual([6]);
    (await a)();
    await settle();
    expect(granted).toEqual([6, 6]);
    (await b)();
  });

  it('refuses a budget that is not positive', () => {
    expect(() => new ListingBudget(0)).toThrow(RangeError);
    expect(() => new ListingBudget(Number.NaN)).toThrow(RangeError);
  });

  it('is shared by the engines of a thread that ask for the same capacity', () => {
    expect(listingBudget(1234)).toBe(listingBudget(1234));
    expect(listingBudget(1234)).not.toBe(listingBudget(4321));
  });

  it('is refused by the engine when it is not a positive whole number, before any folder', () => {
    const context = {} as ActorContext;
    const engine = (listingBudget: number) => new SyncFolder({ left: 'left', right: 'right', state: 'state', policy: mirrorPolicy(), listingBudget }, context);
    for (const bad of [0, -5, 2.5, Number.NaN]) expect(() => engine(bad)).toThrow(ConfigError);
    expect(engine(1)).toBeInstanceOf(SyncFolder);
  });
});
