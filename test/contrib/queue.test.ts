// The queue plumbing on its own, against a real Redis: the per-server slots
// (a cap across holders, all-or-none, a dead holder's lease expiring), the
// per-server rate caps (one bucket across takers), the sealed passwords, the
// queue URL and the rate options.
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl } from '../../src/contrib/queue/redis-url.js';
import { openSecret, sealSecret, secretsKeyFromEnv } from '../../src/contrib/queue/secret-box.js';
import { ServerSlots } from '../../src/contrib/queue/server-slots.js';
import { ServerRate } from '../../src/contrib/queue/server-rate.js';
import { bytesRate, messagesRate } from '../../src/contrib/cli/rate.js';
import { redisCommand, startRedis, type RedisServer } from '../support/redis.js';

let redis: RedisServer;
let queue: Queue;

beforeAll(async () => {
  redis = await startRedis();
  queue = new Queue('slots-test', { connection: { host: redis.host, port: redis.port } });
});

afterAll(async () => {
  await queue?.close();
  await redis?.stop();
});

describe('ServerSlots', () => {
  it('holds at most the limit per server across holders, takes both servers or neither, and frees a dead holder after its lease', async () => {
    const leaseMs = 600;
    // Two clients, as two worker hosts would have.
    const other = new Queue('slots-test', { connection: { host: redis.host, port: redis.port } });
    try {
      const a = new ServerSlots(await queue.client, 'test', leaseMs);
      const b = new ServerSlots(await other.client, 'test', leaseMs);
      const one = await a.tryAcquire(['old:993', 'new:993'], 2, 'one');
      const two = await b.tryAcquire(['old:993', 'new:993'], 2, 'two');
      expect(one && two).toBeTruthy();
      expect(await a.tryAcquire(['old:993', 'other:993'], 2, 'three')).toBeUndefined();
      // Refused as a whole: 'other' was not taken either.
      const onOther = await Promise.all(['x', 'y'].map((id) => b.tryAcquire(['other:993'], 2, id)));
      expect(onOther.every(Boolean)).toBe(true);
      // The same server named twice (source and target on one server) takes one slot.
      await two!.release();
      const same = await a.tryAcquire(['old:993', 'old:993'], 2, 'same');
      expect(same).toBeDefined();
      expect(await (await queue.client).zcard(a.key('old:993'))).toBe(2);
      // A holder that stops renewing (its worker died) frees its slot when the lease expires;
      // one that renews keeps it well past the lease.
      await redisCommand(redis.port, ['ZADD', a.key('new:993'), String(Date.now() + leaseMs), 'dead']);
      expect(await b.tryAcquire(['new:993'], 2, 'before-expiry')).toBeUndefined();
      await new Promise((resolve) => setTimeout(resolve, leaseMs * 3));
      expect(await b.tryAcquire(['old:993'], 2, 'late')).toBeUndefined();
      expect(await b.tryAcquire(['new:993'], 2, 'after-dead')).toBeDefined();
      await Promise.all([one!.release(), same!.release(), ...onOther.map((lease) => lease!.release())]);
      expect(await b.tryAcquire(['old:993'], 2, 'after-release')).toBeDefined();
    } finally {
      await other.close();
    }
  });
});

describe('ServerRate', () => {
  it('holds one cap per server across takers (each its own Redis connection, as on two hosts), charging every server of a copy for whole batches', async () => {
    const perSecond = 2_000;
    const limit = { redis: redis.url, prefix: 'rate-test', bytesPerSecond: perSecond };
    const takers = [new ServerRate({ ...limit, servers: ['old:993', 'new:993'] }), new ServerRate({ ...limit, servers: ['old:993', 'old:993'] })];
    try {
      // Within the bucket (one second's worth): no wait.
      expect(await takers[0]!.take(1, 500)).toBe(0);
      // Both take 400 at a time until 6,000 more are taken in all: together they cannot go faster than the
      // one bucket of old:993 allows (its second's worth taken at once, then the rate), whoever takes.
      let taken = 0;
      const started = performance.now();
      await Promise.all(
        takers.map(async (taker) => {
          while (taken < 6_000) {
            taken += 400;
            await taker.take(1, 400);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      expect(seconds).toBeGreaterThanOrEqual((500 + taken - perSecond) / perSecond - 0.05);
      // new:993 was charged only by the first taker; both keys expire by themselves.
      const tokens = async (server: string) => Number(await redisCommand(redis.port, ['HGET', `rate-test:rate:${server}:bytes`, 'tokens']));
      expect(await tokens('new:993')).toBeGreaterThan(await tokens('old:993'));
      expect(Number(await redisCommand(redis.port, ['PTTL', 'rate-test:rate:new:993:bytes']))).toBeGreaterThan(0);
      // A messages cap is a bucket of its own; a limit with no rate takes nothing.
      const messages = new ServerRate({ redis: redis.url, prefix: 'rate-test', servers: ['old:993'], messagesPerSecond: 10 });
      expect(await messages.take(10, 1e9)).toBe(0);
      expect(await messages.take(5, 0)).toBeGreaterThan(0);
      await messages.close();
      expect(await new ServerRate({ redis: redis.url, prefix: 'rate-test', servers: ['old:993'] }).take(1, 1)).toBe(0);
    } finally {
      await Promise.all(takers.map((taker) => taker.close()));
    }
  });
});

describe('sealed secrets', () => {
  it('open with the key and context they were sealed with, and with nothing else', () => {
    const key = randomBytes(32);
    const sealed = sealSecret(key, 'hunter2', 'job-1:from');
    expect(sealed).not.toContain('hunter2');
    expect(sealSecret(key, 'hunter2', 'job-1:from')).not.toBe(sealed);
    expect(openSecret(key, sealed, 'job-1:from')).toBe('hunter2');
    expect(() => openSecret(key, sealed, 'job-2:from')).toThrow(/does not open/);
    expect(() => openSecret(randomBytes(32), sealed, 'job-1:from')).toThrow(/does not open/);
    const [version, body] = sealed.split(':');
    const tampered = Buffer.from(body!, 'base64');
    tampered[tampered.length - 1]! ^= 1;
    expect(() => openSecret(key, `${version}:${tampered.toString('base64')}`, 'job-1:from')).toThrow(/does not open/);
  });

  it('take a 32-byte base64 key from the environment, and say how to make one otherwise', () => {
    process.env.IMAPFW_TEST_KEY = randomBytes(32).toString('base64');
    expect(secretsKeyFromEnv('IMAPFW_TEST_KEY')).toHaveLength(32);
    process.env.IMAPFW_TEST_KEY = 'short';
    expect(() => secretsKeyFromEnv('IMAPFW_TEST_KEY')).toThrow(/32 bytes.*openssl rand -base64 32/);
    delete process.env.IMAPFW_TEST_KEY;
    expect(() => secretsKeyFromEnv('IMAPFW_TEST_KEY')).toThrow(/not set/);
  });
});

describe('rate options', () => {
  it('read bytes per second with units and messages per second, and refuse the rest', () => {
    expect(bytesRate('20MB/s')).toBe(20_000_000);
    expect(bytesRate('500 KiB/s')).toBe(512_000);
    expect(bytesRate('1.5mb')).toBe(1_500_000);
    expect(bytesRate('4096')).toBe(4096);
    expect(messagesRate('50/s')).toBe(50);
    expect(messagesRate('2.5')).toBe(2.5);
    for (const bad of ['fast', '0', '20 MB/min', '-5']) expect(() => bytesRate(bad)).toThrow(/bytes per second/);
    for (const bad of ['0', 'ten', '5MB/s']) expect(() => messagesRate(bad)).toThrow(/messages per second/);
  });
});

describe('parseRedisUrl', () => {
  it('reads host, port and database, and refuses what is not a Redis URL', () => {
    expect(parseRedisUrl('redis://queue.example.org')).toMatchObject({ host: 'queue.example.org', port: 6379, db: 0, tls: false });
    expect(parseRedisUrl('rediss://:s3cret@10.0.0.5:6380/3')).toMatchObject({ host: '10.0.0.5', port: 6380, db: 3, tls: true, password: 's3cret' });
    expect(() => parseRedisUrl('imap://host')).toThrow(/redis:\/\/HOST/);
    expect(() => parseRedisUrl('redis://host/x')).toThrow(/database/);
  });
});
