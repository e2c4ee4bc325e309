/**
 * The account lock: one run at a time uses an account's state (DESIGN §5).
 *
 * The lock is a file holding its holder's pid, host and start time. It is
 * written whole to a private file first, then hard-linked into place: link(2)
 * fails with EEXIST exactly like an O_EXCL create, and the lock never exists
 * half-written, so a reader that finds it unparsable knows it is damaged (say,
 * by a power loss), not in the middle of being created.
 *
 * A lock whose holder is gone (its pid is not alive on this host) is taken
 * over. A lock held on another host (a state directory on a network home)
 * cannot be checked and counts as live. The lock is released by `release()`
 * and when the process (or the worker thread holding it) exits; a killed
 * process leaves a stale lock that the next run takes over. A worker ended by
 * `worker.terminate()` runs no exit hook: its lock stays held by the still
 * live process, so close the store before terminating its worker.
 */
import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { StateLockedError } from '../../api/errors.js';

interface LockRecord {
  pid: number;
  hostname: string;
  /** When the lock was taken, ISO 8601. */
  startedAt: string;
  /** The holder's start time in clock ticks since boot (Linux /proc), to tell a reused pid from the holder. */
  processStart?: string;
}

const TAKE_OVER_ATTEMPTS = 5;
const held = new Set<AccountLock>();
let exitHookInstalled = false;

export class AccountLock {
  private constructor(
    readonly path: string,
    private readonly text: string,
  ) {}

  /** Takes the lock at `path`, taking over a stale one; throws StateLockedError if a live process holds it. */
  static acquire(path: string): AccountLock {
    const text = `${JSON.stringify(ownRecord())}\n`;
    for (let attempt = 0; attempt < TAKE_OVER_ATTEMPTS; attempt++) {
      if (createExclusive(path, text)) {
        const lock = new AccountLock(path, text);
        held.add(lock);
        installExitHook();
        return lock;
      }
      const existing = readIfExists(path);
      if (existing === undefined) continue; // released in between
      const holder = parseRecord(existing);
      if (holder && isLive(holder)) throw new StateLockedError(path, describe(holder));
      moveAsideIfUnchanged(path, existing);
    }
    throw new StateLockedError(path, 'other processes taking the lock over at the same time');
  }

  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void {
    held.delete(this);
    if (readIfExists(this.path) === this.text) unlinkSync(this.path);
  }
}

function ownRecord(): LockRecord {
  const processStart = processStartOf(process.pid);
  return { pid: process.pid, hostname: hostname(), startedAt: new Date().toISOString(), ...(processStart === undefined ? {} : { processStart }) };
}

/** Creates `path` with `text` unless it exists; false if it does. */
function createExclusive(path: string, text: string): boolean {
  const draft = `${path}.${process.pid}-${randomUUID()}`;
  writeFileSync(draft, text, { mode: 0o600, flag: 'wx' });
  try {
    linkSync(draft, path);
    return true;
  } catch (error) {
    if (errorCode(error) === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkSync(draft);
  }
}

/**
 * Takes a stale lock out of the way. Renaming is atomic, but between our read
 * and our rename another process may have taken the stale lock over already:
 * if what we moved is not what we judged stale, we put it back.
 */
function moveAsideIfUnchanged(path: string, staleText: string): void {
  const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
  try {
    renameSync(path, aside);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return;
    throw error;
  }
  try {
    if (readFileSync(aside, 'utf8') !== staleText) linkSync(aside, path);
  } catch (error) {
    if (errorCode(error) !== 'EEXIST') throw error;
  } finally {
    unlinkSync(aside);
  }
}

function isLive(holder: LockRecord): boolean {
  if (holder.hostname !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    return errorCode(error) === 'EPERM'; // alive, owned by another user
  }
  const processStart = processStartOf(holder.pid);
  return holder.processStart === undefined || processStart === undefined || processStart === holder.processStart;
}

function describe(holder: LockRecord): string {
  const command = commandOf(holder.pid, holder.hostname);
  return `pid ${holder.pid}${command ? ` (${command})` : ''} on ${holder.hostname} since ${holder.startedAt}`;
}

function parseRecord(text: string): LockRecord | undefined {
  try {
    const record = JSON.parse(text) as Partial<LockRecord>;
    if (typeof record.pid === 'number' && typeof record.hostname === 'string' && typeof record.startedAt === 'string') return record as LockRecord;
  } catch {
    // unparsable: damaged, handled as stale below
  }
  return undefined;
}

/** Field 22 of /proc/<pid>/stat (start time after boot); undefined where /proc is not available. */
function processStartOf(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  // The command name (field 2) is in parentheses and may hold spaces: count fields after its closing one.
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function commandOf(pid: number, host: string): string | undefined {
  if (host !== hostname()) return undefined;
  const command = readProc(`/proc/${pid}/cmdline`)?.replace(/[\s\0]+/g, ' ').trim();
  return command && command.length > 200 ? `${command.slice(0, 200)}…` : command || undefined;
}

function readIfExists(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
}

/** A /proc file, or undefined when the process is gone, not ours to read, or there is no /proc. */
function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lock of held) {
      try {
        lock.release();
      } catch {
        // The process is ending: nobody is left to tell; the next run takes the stale lock over.
      }
    }
  });
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}
