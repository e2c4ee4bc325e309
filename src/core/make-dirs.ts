import { mkdirSync, statSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * `mkdir -p`: creates `dir` and whatever parents it lacks (each with `mode`).
 * Node's own `mkdir(dir, { recursive: true })` spins at full CPU forever when
 * a directory exists but answers ENOENT for a child it cannot hold
 * (anything under /proc or /sys, some FUSE and network file systems): it
 * takes each ENOENT for a missing parent, finds the parent there, and tries
 * again. Here a child still not found once its parent is made is the error.
 */
export async function makeDirs(dir: string, mode?: number): Promise<void> {
  const made = async () => {
    try {
      await mkdir(dir, mode === undefined ? undefined : { mode });
    } catch (error) {
      // There already (made by someone else meanwhile, too): as good as made here.
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !(await stat(dir).catch(() => undefined))?.isDirectory()) throw error;
    }
  };
  try {
    await made();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) throw error;
    await makeDirs(dirname(dir), mode);
    await made();
  }
}

/** makeDirs, synchronously. */
export function makeDirsSync(dir: string, mode?: number): void {
  const made = () => {
    try {
      mkdirSync(dir, mode === undefined ? undefined : { mode });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(dir)) throw error;
    }
  };
  try {
    made();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || dirname(dir) === dir) throw error;
    makeDirsSync(dirname(dir), mode);
    made();
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
