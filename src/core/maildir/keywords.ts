import { readFileSync } from 'node:fs';
import { open, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { StoreError } from '../../api/errors.js';
import { fsyncDir } from './fsync-dir.js';
import { flagsOfLetters, keywordLetter } from './flags.js';

/**
 * The `dovecot-keywords` file of a folder: one "N name" line per keyword,
 * N = 0..25 being the info letter a..z. Dovecot, and through it any IMAP
 * client, reads the same file; mutt and notmuch keep the letters untouched.
 */
export const KEYWORDS_FILE = 'dovecot-keywords';
const LOCK_FILE = `${KEYWORDS_FILE}.lock`;
export const MAX_KEYWORDS = 26;
/** A lock older than this was left by a crashed writer (a real update takes milliseconds). */
const STALE_LOCK_MS = 30_000;
const LOCK_WAIT_MS = 10_000;

export class KeywordTable {
  private readonly names: (string | undefined)[];
  /** flagsOf's lists by info letters; emptied when a keyword is added (a letter may then name one). */
  private readonly flagLists = new Map<string, readonly string[]>();

  constructor(names: readonly (string | undefined)[] = []) {
    this.names = [...names];
  }

  static parse(text: string): KeywordTable {
    const names: (string | undefined)[] = [];
    for (const line of text.split('\n')) {
      const match = /^(\d+) (.+?)\r?$/.exec(line);
      if (!match) continue;
      const index = Number(match[1]);
      if (index < MAX_KEYWORDS) names[index] = match[2];
    }
    return new KeywordTable(names);
  }

  nameAt(index: number): string | undefined {
    return this.names[index];
  }

  /**
   * The flags of a file with these info letters, one list shared by every
   * file with the same letters: a folder's listing holds a list per message,
   * and most of a folder's messages have one of a few sets of flags.
   */
  flagsOf(letters: string): readonly string[] {
    let flags = this.flagLists.get(letters);
    if (!flags) {
      flags = flagsOfLetters(letters, (index) => this.names[index]);
      this.flagLists.set(letters, flags);
    }
    return flags;
  }

  letterOf(keyword: string): string | undefined {
    const index = this.names.indexOf(keyword);
    return index < 0 ? undefined : keywordLetter(index);
  }

  /** Gives each missing keyword the lowest free index; returns those that found none. */
  allocate(keywords: Iterable<string>): { added: boolean; refused: string[] } {
    const refused: string[] = [];
    let added = false;
    for (const keyword of keywords) {
      if (this.names.includes(keyword)) continue;
      let free = 0;
      while (free < MAX_KEYWORDS && this.names[free] !== undefined) free++;
      if (free === MAX_KEYWORDS) refused.push(keyword);
      else {
        this.names[free] = keyword;
        this.flagLists.clear();
        added = true;
      }
    }
    return { added, refused };
  }

  format(): string {
    return this.names.map((name, index) => (name === undefined ? '' : `${index} ${name}\n`)).join('');
  }
}

export async function readKeywords(folderDir: string): Promise<KeywordTable> {
  try {
    // Synchronous: one small file, read at every operation on a folder (see hasCur).
    return KeywordTable.parse(readFileSync(join(folderDir, KEYWORDS_FILE), 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new KeywordTable();
    throw error;
  }
}

/**
 * Makes sure every keyword has a letter, writing the file only when one is
 * added. Runs under Dovecot's dotlock (`dovecot-keywords.lock`, created
 * exclusively, filled, then renamed over the file), so concurrent writers,
 * Dovecot included, never lose each other's keywords.
 */
export async function ensureKeywords(
  folderDir: string,
  keywords: readonly string[],
  options: { fsync: boolean },
): Promise<{ table: KeywordTable; refused: string[] }> {
  const current = await readKeywords(folderDir);
  if (keywords.every((k) => current.letterOf(k) !== undefined)) return { table: current, refused: [] };

  const lockPath = join(folderDir, LOCK_FILE);
  const lock = await acquireLock(lockPath);
  try {
    const table = await readKeywords(folderDir);
    const { added, refused } = table.allocate(keywords);
    if (added) {
      await lock.writeFile(table.format());
      if (options.fsync) await lock.sync();
      await lock.close();
      await rename(lockPath, join(folderDir, KEYWORDS_FILE));
      if (options.fsync) await fsyncDir(folderDir);
    } else {
      await lock.close();
      await unlink(lockPath);
    }
    return { table, refused };
  } catch (error) {
    await lock.close().catch(() => undefined);
    await unlink(lockPath).catch(() => undefined);
    throw error;
  }
}

async function acquireLock(lockPath: string) {
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      return await open(lockPath, 'wx');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const age = await stat(lockPath).then((s) => Date.now() - s.mtimeMs, () => 0);
    if (age > STALE_LOCK_MS) await unlink(lockPath).catch(() => undefined);
    else if (Date.now() > deadline) throw new StoreError(`${lockPath} is held by another process; try again later`, { retryable: true });
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
