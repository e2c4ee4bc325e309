import { statSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';

/**
 * A Maildir scan checkpoint: what cur/ and new/ looked like when listed.
 * Any message added, renamed (flags) or removed changes the mtime of the
 * directory holding it, so equal stamps mean nothing changed.
 *
 * Serialized as JSON: {"v":1,"uidValidity":"…","cur":{"mtimeNs":"…","ino":"…"},
 * "new":{…},"settled":true,"messages":N}. `messages` is the count of the
 * listing the stamps were taken with (absent in checkpoints of older
 * builds): an unchanged folder reports it as its EXISTS, so that the saved
 * pairs can stand for a folder not listed. `sizes` (absent when empty) holds
 * the sizes of the listed messages whose names state none (another delivery
 * agent's, a mail client's), by unique name: a message never changes while
 * it keeps its unique name, so the next scan reads them from here instead of
 * stat-ing each such file again. `settled` is false when a directory's mtime was
 * within one timestamp tick of the scan: a change in the same tick would not
 * move the mtime, so such a stamp is not trusted for skipping next time. A
 * tick is a kernel clock tick (at most 10 ms) on file systems with
 * nanosecond timestamps (ext4, xfs, btrfs, tmpfs); an mtime in whole seconds
 * means a coarse file system, where a tick is taken as 2 s.
 */
export interface DirStamp {
  mtimeNs: string;
  ino: string;
}

export interface MaildirCheckpoint {
  v: 1;
  uidValidity: string;
  cur: DirStamp;
  new: DirStamp;
  settled: boolean;
  messages?: number;
  sizes?: Record<string, number>;
}

const COARSE_TICK_MS = 2000;
/** Twice the longest kernel tick (HZ=100), for file systems with nanosecond timestamps. */
const FINE_TICK_MS = 20;

/** A missing directory (a folder without new/) stamps as zero. */
const MISSING_DIR: DirStamp = { mtimeNs: '0', ino: '0' };

function stampOf(stats: BigIntStats): DirStamp {
  return { mtimeNs: stats.mtimeNs.toString(), ino: stats.ino.toString() };
}

/** The stamps of a folder's cur/ and new/, taken before listing them. */
export async function checkpointStamps(folderDir: string): Promise<{ cur: DirStamp; new: DirStamp }> {
  // Synchronous, as the Maildir's other metadata reads of one file (see hasCur).
  return { cur: stampOf(statSync(join(folderDir, 'cur'), { bigint: true })), new: stampOfNew(join(folderDir, 'new')) };
}

/** new/ may be missing (a folder made by hand); cur/ may not: without it there is no folder. */
function stampOfNew(dir: string): DirStamp {
  try {
    return stampOf(statSync(dir, { bigint: true }));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return MISSING_DIR;
    throw error;
  }
}

export function sameStamp(a: DirStamp, b: DirStamp): boolean {
  return a.mtimeNs === b.mtimeNs && a.ino === b.ino;
}

/** Every stamp's mtime is a whole tick before `now` (in ms): a change from now on moves it. */
export function isSettled(stamps: readonly DirStamp[], now: number): boolean {
  return msUntilSettled(stamps, Math.floor(now)) === 0;
}

/** Milliseconds from `now` until the stamps are settled (0 when they are already). */
export function msUntilSettled(stamps: readonly DirStamp[], now: number): number {
  let wait = 0;
  for (const s of stamps) {
    const settledAt = Number(BigInt(s.mtimeNs) / 1_000_000n) + tickOf(s) + 1;
    wait = Math.max(wait, settledAt - now);
  }
  return wait;
}

function tickOf(stamp: DirStamp): number {
  return BigInt(stamp.mtimeNs) % 1_000_000_000n === 0n ? COARSE_TICK_MS : FINE_TICK_MS;
}

export function encodeCheckpoint(checkpoint: MaildirCheckpoint): string {
  return JSON.stringify(checkpoint);
}

/** The checkpoint, or undefined when the text is not one of ours (the scan is then full). */
export function decodeCheckpoint(text: string): MaildirCheckpoint | undefined {
  try {
    const value = JSON.parse(text) as Partial<MaildirCheckpoint>;
    if (value.v !== 1 || typeof value.uidValidity !== 'string' || typeof value.settled !== 'boolean') return undefined;
    if (!isStamp(value.cur) || !isStamp(value.new)) return undefined;
    // An optional field that does not hold what it should is left out; the stamps still stand.
    const { messages, sizes, ...rest } = value as MaildirCheckpoint;
    return { ...rest, ...(isCount(messages) ? { messages } : {}), ...(isSizes(sizes) ? { sizes } : {}) };
  } catch {
    return undefined;
  }
}

function isStamp(value: unknown): value is DirStamp {
  const stamp = value as DirStamp | undefined;
  return typeof stamp?.mtimeNs === 'string' && typeof stamp.ino === 'string' && /^\d+$/.test(stamp.mtimeNs);
}

function isCount(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function isSizes(value: unknown): value is Record<string, number> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  // A loop, not Object.values(): a folder's checkpoint can hold thousands, read at every run.
  for (const key in value) if (!isCount((value as Record<string, unknown>)[key])) return false;
  return true;
}
