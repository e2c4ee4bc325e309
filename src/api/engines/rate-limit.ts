/**
 * Copy rate limits (imapsync's --maxbytespersecond, --maxmessagespersecond):
 * token buckets, one per kind, shared by every engine of one thread that
 * names the same `key` (engines share one pool thread by default, so a key
 * per account bounds the whole account).
 */
export interface RateLimit {
  bytesPerSecond?: number;
  messagesPerSecond?: number;
  /** Engines of one thread with the same key share the buckets. */
  key?: string;
}

/**
 * A token bucket holding at most one second of tokens. `take(n)` always
 * succeeds, running into debt, and waits until the debt is paid back: a
 * request larger than the bucket (a batch of 8 MB at 1 MB/s) is let through
 * and the next one waits for it.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly clock: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {
    if (!(perSecond > 0)) throw new RangeError(`a rate must be positive, got ${perSecond}`);
    this.tokens = perSecond;
    this.last = clock();
  }

  async take(amount: number): Promise<void> {
    const now = this.clock();
    this.tokens = Math.min(this.perSecond, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    this.tokens -= amount;
    if (this.tokens < 0) await this.sleep((-this.tokens / this.perSecond) * 1000);
  }
}

const shared = new Map<string, TokenBucket>();

function bucket(key: string, perSecond: number): TokenBucket {
  const name = `${key}\n${perSecond}`;
  let found = shared.get(name);
  if (!found) shared.set(name, (found = new TokenBucket(perSecond)));
  return found;
}

/** A function to await before copying `messages` messages of `bytes` bytes; undefined without limits. */
export function throttleFor(limit: RateLimit | undefined): ((messages: number, bytes: number) => Promise<void>) | undefined {
  if (!limit || (!limit.bytesPerSecond && !limit.messagesPerSecond)) return undefined;
  const key = limit.key ?? '';
  const messages = limit.messagesPerSecond ? bucket(`${key}\nmessages`, limit.messagesPerSecond) : undefined;
  const bytes = limit.bytesPerSecond ? bucket(`${key}\nbytes`, limit.bytesPerSecond) : undefined;
  return async (count, size) => {
    await Promise.all([messages?.take(count), bytes?.take(size)]);
  };
}
