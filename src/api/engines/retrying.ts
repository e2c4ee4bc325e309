import { StallError } from '../errors.js';

/**
 * Runs an idempotent request, again after a retryable failure (a dropped
 * connection: the repository reconnects on the next call), waiting 0.5 s,
 * 1 s, then 2 s. A stall (StallError: the server stopped answering within
 * `--timeout`) is tried again only once, so a dead or stalling server costs
 * at most two deadlines per request. Other failures, and the last one, are
 * thrown.
 * Never wrap a request that is not safe to repeat (a store).
 */
export async function retrying<T>(request: () => Promise<T>, attempts = 4, firstDelayMs = 500): Promise<T> {
  let stalls = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await request();
    } catch (error) {
      if (error instanceof StallError) stalls++;
      if (attempt >= attempts || stalls >= 2 || (error as { retryable?: unknown } | null)?.retryable !== true) throw error;
      await new Promise((resolve) => setTimeout(resolve, firstDelayMs * 2 ** (attempt - 1)));
    }
  }
}
