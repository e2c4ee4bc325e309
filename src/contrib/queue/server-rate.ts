import type { Redis } from 'ioredis';
import { parseRedisUrl, redisConnection } from './redis-url.js';

/**
 * A copy rate cap per server shared by every process that uses the same
 * Redis (`migrate --queue ... --max-rate-per-server`): one token bucket per
 * server and kind (bytes, messages) in Redis, refilled on Redis' own clock,
 * holding one second of tokens. A taker is charged for a whole copy batch
 * in one script run (never a round trip per message) and may run into debt;
 * it then waits until the debt of everyone before it is paid back. So
 * whatever the number of workers and accounts, a server sees at most one
 * second's worth plus the rate times the time elapsed.
 */
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local wait = 0
for i, key in ipairs(KEYS) do
  local rate = tonumber(ARGV[2 * i - 1])
  local amount = tonumber(ARGV[2 * i])
  local held = redis.call('HMGET', key, 'tokens', 'at')
  local tokens = tonumber(held[1]) or rate
  local at = tonumber(held[2]) or now
  tokens = math.min(rate, tokens + math.max(0, now - at) * rate / 1000) - amount
  redis.call('HSET', key, 'tokens', tostring(tokens), 'at', tostring(now))
  local ms = 0
  if tokens < 0 then ms = math.ceil(-tokens * 1000 / rate) end
  redis.call('PEXPIRE', key, ms + 60000)
  if ms > wait then wait = ms end
end
return wait`;

/** What a migration's engines need to share their servers' caps: serialisable (it travels to the engines' threads). */
export interface ServerRateLimit {
  /** The Redis holding the buckets: redis://HOST:PORT[/DB]. */
  redis: string;
  /** Key prefix, e.g. the queue's name: `PREFIX:rate:HOST:PORT:bytes`. */
  prefix: string;
  /** HOST:PORT of each server the copy reads from or writes to (the same one twice counts once). */
  servers: string[];
  bytesPerSecond?: number;
  messagesPerSecond?: number;
}

export class ServerRate {
  private client: Promise<Redis> | undefined;
  private readonly buckets: { key: string; perSecond: number; kind: 'bytes' | 'messages' }[];

  constructor(private readonly limit: ServerRateLimit) {
    this.buckets = [...new Set(limit.servers)].flatMap((server) => [
      ...(limit.bytesPerSecond ? [{ key: `${limit.prefix}:rate:${server}:bytes`, perSecond: limit.bytesPerSecond, kind: 'bytes' as const }] : []),
      ...(limit.messagesPerSecond ? [{ key: `${limit.prefix}:rate:${server}:messages`, perSecond: limit.messagesPerSecond, kind: 'messages' as const }] : []),
    ]);
  }

  /** Charges every server's buckets for a batch, and waits until the servers can take it. Returns the wait in ms. */
  async take(messages: number, bytes: number): Promise<number> {
    if (this.buckets.length === 0) return 0;
    // Loaded and connected on first use: a migration without caps never loads ioredis, an engine that copies nothing opens no connection.
    this.client ??= import('ioredis').then(({ Redis }) => new Redis(redisConnection(parseRedisUrl(this.limit.redis)) as never));
    const client = await this.client;
    const args = this.buckets.flatMap(({ perSecond, kind }) => [String(perSecond), String(kind === 'bytes' ? bytes : messages)]);
    const waitMs = Number(await client.eval(TAKE, this.buckets.length, ...this.buckets.map(({ key }) => key), ...args));
    if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    return waitMs;
  }

  async close(): Promise<void> {
    const client = await this.client;
    this.client = undefined;
    await client?.quit().catch(() => client.disconnect());
  }
}
