/**
 * How many messages the engines of one thread hold listed at once. Planning a
 * folder holds both sides' listings, the saved pairs and the plan, and the
 * settled checkpoint after its copies lists the folder again: hundreds of
 * bytes a message, and as much again of garbage. Engines that finish together
 * start their next folders together, so without a bound an account's big
 * folders are all held at once, and V8 keeps the heap they grew to until the
 * run ends (docs/performance.md, "Big folders listed one at a time"). With it, a folder
 * larger than the budget is listed alone and smaller ones share it: memory
 * follows the largest folder, not the number of connections.
 */
export const DEFAULT_LISTING_BUDGET = 10_000;

/**
 * A weighted semaphore, first come first served: a request waits while the
 * ones before it wait, so a big folder is not passed over by a stream of
 * small ones. A weight above the capacity is taken as the whole capacity
 * (it runs alone); a weight of 0 (a folder of unknown size) never waits.
 */
export class ListingBudget {
  private used = 0;
  private readonly waiting: { weight: number; grant: () => void }[] = [];

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`a listing budget must be positive, got ${capacity}`);
  }

  /** Waits for `weight` messages' room; the function returned gives it back (once, however often it is called). */
  async hold(weight: number): Promise<() => void> {
    const taken = Math.min(Math.max(0, weight), this.capacity);
    if (taken > 0) {
      if (this.waiting.length > 0 || this.used + taken > this.capacity) await new Promise<void>((grant) => this.waiting.push({ weight: taken, grant }));
      else this.used += taken;
    }
    let held = taken > 0;
    return () => {
      if (!held) return;
      held = false;
      this.used -= taken;
      this.grantWaiting();
    };
  }

  private grantWaiting(): void {
    while (this.waiting.length > 0 && this.used + this.waiting[0]!.weight <= this.capacity) {
      const next = this.waiting.shift()!;
      this.used += next.weight;
      next.grant();
    }
  }
}

const shared = new Map<number, ListingBudget>();

/** The budget the engines of this thread with the same capacity share. */
export function listingBudget(capacity: number): ListingBudget {
  let found = shared.get(capacity);
  if (!found) shared.set(capacity, (found = new ListingBudget(capacity)));
  return found;
}
