import { StallError } from '../errors.js';

/** A throttled request is tried this many times in all, and waits at most this long at once. */
const THROTTLED_ATTEMPTS = 8;
const MAX_THROTTLE_WAIT_MS = 5 * 60_000;

/**
 * Runs an idempotent request, again after a retryable failure (a dropped
 * connection: the repository reconnects on the next call), waiting 0.5 s,
 * 1 s, then 2 s. A stall (StallError: the server stopped answering within
 * `--timeout`) is tried again only once, so a dead or stalling server costs
 * at most two deadlines per request. A server that throttles is waited for
 * as long as it asks (else 2 s, 4 s, 8 s, ...), up to 8 attempts. Other
 * failures, and the last one, are thrown.
 * Never wrap a request that is not safe to repeat (a store).
 */
export async function retrying<T>(request: () => Promise<T>, attempts = 4, firstDelayMs = 500): Promise<T> {
  let stalls = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (error instanceof StallError) stalls++;
      const failure = error as { retryable?: unknown; code?: unknown; waitMs?: unknown } | null;
      const throttled = failure?.code === 'ETHROTTLED';
      if (attempt >= (throttled ? Math.max(attempts, THROTTLED_ATTEMPTS) : attempts) || stalls >= 2 || failure?.retryable !== true) throw error;
      const backoff = (throttled ? Math.max(firstDelayMs, 2000) : firstDelayMs) * 2 ** (attempt - 1);
      const told = throttled && typeof failure.waitMs === 'number' ? failure.waitMs : undefined;
      await new Promise((resolve) => setTimeout(resolve, Math.min(told ?? backoff, MAX_THROTTLE_WAIT_MS)));
    }
  }
}
