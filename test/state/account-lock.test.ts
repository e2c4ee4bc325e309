import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { StateLockedError } from '../../src/api/errors.js';
import { AccountLock } from '../../src/core/state/account-lock.js';
import { tempDirs } from '../support/temp-dirs.js';

const newDir = tempDirs('lock');
const readLock = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('AccountLock', () => {
  it('writes pid, host and start time in a private file, and removes it on release', () => {
    const dir = newDir();
    const path = join(dir, 'me.sqlite.lock');
    const lock = AccountLock.acquire(path);
    expect(readLock(path)).toMatchObject({ pid: process.pid, hostname: hostname(), startedAt: expect.stringMatching(/^\d{4}-/) });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(() => AccountLock.acquire(path)).toThrow(StateLockedError);
    expect(readdirSync(dir)).toStrictEqual(['me.sqlite.lock']); // no draft left behind
    lock.release();
    lock.release();
    expect(readdirSync(dir)).toStrictEqual([]);
  });

  it('takes over a damaged lock file', () => {
    const path = join(newDir(), 'me.sqlite.lock');
    writeFileSync(path, '');
    AccountLock.acquire(path).release();
  });

  it('takes over a lock whose pid now belongs to another process', () => {
    const path = join(newDir(), 'me.sqlite.lock');
    writeFileSync(path, JSON.stringify({ pid: process.pid, hostname: hostname(), startedAt: '2020-01-01T00:00:00.000Z', processStart: '1' }));
    const lock = AccountLock.acquire(path);
    expect(readLock(path).startedAt).not.toBe('2020-01-01T00:00:00.000Z');
    lock.release();
  });

  it('counts a lock held on another host as live', () => {
    const path = join(newDir(), 'me.sqlite.lock');
    writeFileSync(path, JSON.stringify({ pid: 1, hostname: 'elsewhere.example', startedAt: '2026-01-01T00:00:00.000Z' }));
    expect(() => AccountLock.acquire(path)).toThrow(`is in use by pid 1 on elsewhere.example since 2026-01-01T00:00:00.000Z`);
  });

  it('leaves a lock that is no longer its own', () => {
    const path = join(newDir(), 'me.sqlite.lock');
    const lock = AccountLock.acquire(path);
    const other = JSON.stringify({ pid: 1, hostname: 'elsewhere.example', startedAt: '2026-01-01T00:00:00.000Z' });
    writeFileSync(path, other);
    lock.release();
    expect(readFileSync(path, 'utf8')).toBe(other);
  });
});
