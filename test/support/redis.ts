// A real Redis per test: its own temp dir, loopback port and process,
// started in the foreground and stopped by its own pid. With persistence on
// (append-only file), stop() and start() again on the same port and dir
// keep every key: a restart as the workers see it.
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, rmSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './dovecot.js';

const HOST = '127.0.0.1';

export interface RedisServer {
  host: string;
  port: number;
  /** redis://127.0.0.1:PORT */
  url: string;
  dir: string;
  /** Pid of the running redis-server (changes with restart()). */
  pid(): number;
  /** Stops it (SIGTERM: with persistence, it writes its data first) and starts it again on the same port and data. */
  restart(): Promise<void>;
  /** Every key with its whole value as text (strings, hashes, lists, sets, sorted sets, streams). */
  dump(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

/** Running instances, killed and removed on exit as a backstop. */
const running = new Map<number, string>();
process.on('exit', () => {
  for (const [pid, dir] of running) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function redisBinary(): string {
  for (const file of ['/usr/bin/redis-server', ...(process.env.PATH ?? '').split(':').map((dir) => path.join(dir, 'redis-server'))]) {
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  // A missing Redis fails the test: .ci/run installs redis-server.
  throw new Error('redis-server not found: apt-get install redis-server');
}

/** One command over a fresh connection (RESP), the reply parsed. */
export function redisCommand(port: number, args: string[]): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    let buffer = Buffer.alloc(0);
    sock.setTimeout(5000, () => sock.destroy(new Error('redis: no reply')));
    sock.once('error', reject);
    sock.on('data', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const parsed = parseReply(buffer, 0);
      if (parsed) {
        sock.end();
        if (parsed.value instanceof Error) reject(parsed.value);
        else resolve(parsed.value);
      }
    });
    sock.write(`*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`);
  });
}

function parseReply(buffer: Buffer, at: number): { value: unknown; end: number } | undefined {
  const eol = buffer.indexOf('\r\n', at);
  if (eol < 0) return undefined;
  const line = buffer.toString('utf8', at + 1, eol);
  switch (String.fromCharCode(buffer[at]!)) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new Error(line), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const length = Number(line);
      if (length < 0) return { value: null, end: eol + 2 };
      if (buffer.length < eol + 2 + length + 2) return undefined;
      return { value: buffer.toString('utf8', eol + 2, eol + 2 + length), end: eol + 2 + length + 2 };
    }
    case '*': {
      const count = Number(line);
      const values: unknown[] = [];
      let end = eol + 2;
      for (let i = 0; i < count; i++) {
        const item = parseReply(buffer, end);
        if (!item) return undefined;
        values.push(item.value);
        end = item.end;
      }
      return { value: count < 0 ? null : values, end };
    }
    default:
      throw new Error(`redis: unexpected reply ${line}`);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRedis(): Promise<RedisServer> {
  const binary = redisBinary();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapfw-redis-'));
  const port = await freePort();
  const conf = path.join(dir, 'redis.conf');
  await writeFile(
    conf,
    [`bind ${HOST}`, `port ${port}`, `dir ${dir}`, 'appendonly yes', 'appendfsync always', 'save ""', 'daemonize no', `logfile ${path.join(dir, 'redis.log')}`, 'protected-mode yes'].join('\n') + '\n',
  );
  let child: ChildProcess;
  let watchdog: ChildProcess;
  let exited: Promise<void>;

  const start = async () => {
    child = spawn(binary, [conf], { stdio: 'ignore' });
    running.set(child.pid!, dir);
    exited = new Promise((resolve) => child.once('exit', () => resolve()));
    // Kills it even if this process dies without running 'exit' handlers (vitest stops its forks with SIGTERM): the watchdog's stdin closes with us.
    watchdog = spawn('/bin/sh', ['-c', 'read _; kill -KILL "$1"; rm -rf "$2"', 'imapfw-redis-watchdog', String(child.pid), dir], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    watchdog.unref();
    (watchdog.stdin as unknown as { unref(): void }).unref();
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        if ((await redisCommand(port, ['PING'])) === 'PONG') return;
      } catch {
        // not listening yet, or still loading its data
      }
      if (child.exitCode !== null || Date.now() > deadline) {
        throw new Error(`redis-server did not start:\n${await readFile(path.join(dir, 'redis.log'), 'utf8').catch(() => '')}`);
      }
      await sleep(20);
    }
  };
  const stopOne = async () => {
    watchdog.kill('SIGKILL');
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
    running.delete(child.pid!);
  };
  await start();

  return {
    host: HOST,
    port,
    url: `redis://${HOST}:${port}`,
    dir,
    pid: () => child.pid!,
    restart: async () => {
      await stopOne();
      await start();
    },
    dump: async () => {
      const values = new Map<string, string>();
      const keys = (await redisCommand(port, ['KEYS', '*'])) as string[];
      for (const key of keys) {
        const type = (await redisCommand(port, ['TYPE', key])) as string;
        const read: Record<string, string[]> = {
          string: ['GET', key],
          hash: ['HGETALL', key],
          list: ['LRANGE', key, '0', '-1'],
          set: ['SMEMBERS', key],
          zset: ['ZRANGE', key, '0', '-1', 'WITHSCORES'],
          stream: ['XRANGE', key, '-', '+'],
        };
        if (type === 'none') continue; // gone since KEYS
        if (!read[type]) throw new Error(`redis: key ${key} of unexpected type ${type}`);
        values.set(key, JSON.stringify(await redisCommand(port, read[type]!)));
      }
      return values;
    },
    stop: async () => {
      await stopOne();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
