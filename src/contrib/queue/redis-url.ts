import { ConfigError } from '../../api/index.js';

/** Where a queue lives: redis://HOST[:PORT][/DB] (rediss:// for TLS), as ioredis and BullMQ take it. */
export interface RedisLocation {
  host: string;
  port: number;
  db: number;
  tls: boolean;
  username?: string;
  password?: string;
}

export function parseRedisUrl(text: string): RedisLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(`--queue "${text}": expected redis://HOST[:PORT][/DB]`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`--queue "${text}": expected redis://HOST[:PORT][/DB] or rediss://...`);
  if (!url.hostname) throw new ConfigError(`--queue "${text}": no host`);
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0) throw new ConfigError(`--queue "${text}": the database after the host must be a number (redis://HOST:PORT/0), not "${path}"`);
  return {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port ? Number(url.port) : 6379,
    db,
    tls: url.protocol === 'rediss:',
    ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
    ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
  };
}

/**
 * ioredis options for a queue connection. `maxRetriesPerRequest: null`
 * (BullMQ's requirement for workers): a command waits through a Redis
 * restart instead of failing, and the client reconnects by itself.
 */
export function redisConnection(location: RedisLocation): Record<string, unknown> {
  return {
    host: location.host,
    port: location.port,
    db: location.db,
    ...(location.tls ? { tls: {} } : {}),
    ...(location.username ? { username: location.username } : {}),
    ...(location.password ? { password: location.password } : {}),
    maxRetriesPerRequest: null,
    // Reconnect quickly after a restart, never slower than every 2 s.
    retryStrategy: (times: number) => Math.min(100 * times, 2000),
  };
}
