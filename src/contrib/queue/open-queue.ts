import type { Queue } from 'bullmq';
import { NetworkError } from '../../api/index.js';
import { requireOnUse } from '../../core/require-on-use.js';
import { parseRedisUrl, redisConnection } from './redis-url.js';

/** How long a command-line run (enqueue, status, results) tries to reach Redis before it gives up. */
const CONNECT_MS = 10_000;

/**
 * A BullMQ queue for a short command-line run: unlike a worker, which waits
 * through a Redis restart, it fails with a NetworkError (exit code 4) when
 * Redis cannot be reached.
 */
export async function openQueue(url: string, name: string): Promise<Queue> {
  const location = parseRedisUrl(url);
  const { Queue } = requireOnUse('bullmq') as typeof import('bullmq');
  const queue = new Queue(name, { connection: { ...redisConnection(location), maxRetriesPerRequest: 3, retryStrategy: (times: number) => (times > 10 ? null : 200 * times) } });
  let lastError: Error | undefined;
  queue.on('error', (error) => (lastError = error));
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      queue.waitUntilReady(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(lastError ?? new Error(`no answer in ${CONNECT_MS / 1000} s`)), CONNECT_MS))),
    ]);
    return queue;
  } catch (error) {
    await queue.close().catch(() => {});
    throw new NetworkError(`cannot reach the queue's Redis at ${location.host}:${location.port}: ${(lastError ?? (error as Error)).message}`);
  } finally {
    clearTimeout(timer);
  }
}
