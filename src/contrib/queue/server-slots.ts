import type { RedisClient } from 'bullmq';

/**
 * At most `limit` holders at once per server, across every process that
 * shares the Redis: a sorted set per server of lease ids scored by their
 * expiry (Redis' own clock, so hosts' clocks need not agree). A holder
 * renews its lease while it works; a holder that dies (SIGKILL, host lost)
 * stops renewing and its slot frees itself when the lease expires.
 * A holder takes the slots of all its servers at once or none of them, so
 * two holders can never each hold one server and wait for the other.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if not redis.call('ZSCORE', key, ARGV[2]) and redis.call('ZCARD', key) >= limit then return 0 end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + tonumber(ARGV[3]), ARGV[2])
  redis.call('PEXPIRE', key, tonumber(ARGV[3]) * 2)
end
return 1`;

export interface ServerLease {
  /** Stops renewing and frees the slots. */
  release(): Promise<void>;
}

export class ServerSlots {
  constructor(
    private readonly redis: RedisClient,
    /** Key prefix, e.g. the queue's name: `PREFIX:servers:HOST:PORT`. */
    private readonly prefix: string,
    /** A lease not renewed for this long frees its slots. */
    private readonly leaseMs: number,
  ) {}

  key(server: string): string {
    return `${this.prefix}:servers:${server}`;
  }

  /** Takes a slot on every server (the same server named twice counts once), or none: undefined when one is full. */
  async tryAcquire(servers: string[], limit: number, leaseId: string): Promise<ServerLease | undefined> {
    const keys = [...new Set(servers)].map((server) => this.key(server));
    const run = () => this.redis.runCommand('eval', [ACQUIRE, keys.length, ...keys, String(limit), leaseId, String(this.leaseMs)]) as Promise<number>;
    if ((await run()) !== 1) return undefined;
    // Renewal re-runs the acquisition: a lease still held is simply extended.
    const timer = setInterval(() => void run().catch(() => {}), Math.max(50, Math.floor(this.leaseMs / 3)));
    timer.unref();
    return {
      release: async () => {
        clearInterval(timer);
        await Promise.all(keys.map((key) => this.redis.runCommand('zrem', [key, leaseId])));
      },
    };
  }
}
