import { watch, type FSWatcher } from 'node:fs';
import { sep } from 'node:path';
import { INBOX, folderOfMaildirPlusPlusDir, folderOfNestedDirs, type MaildirLayout } from './folder-names.js';
import { MESSAGE_DIRS } from './list-folders.js';

/** After the first change, how long the Maildir must stay quiet before the folders are handed over (a mail client writes in bursts). */
export const DEBOUNCE_MS = 300;

/**
 * The folders of a Maildir whose messages changed, heard through the
 * kernel's file notifications (inotify, via a recursive fs.watch): a file
 * added to, renamed in or removed from cur/ or new/, or a folder directory
 * created or removed. tmp/ and the folders' own files are ignored. What it
 * misses (an overflowing queue, a file system without notifications) is
 * found by the daemon's periodic pass.
 */
export class FolderChanges {
  private watcher: FSWatcher | undefined;
  private readonly pending = new Set<string>();
  private waiting: { resolve: () => void; timer: NodeJS.Timeout } | undefined;

  constructor(
    private readonly root: string,
    private readonly layout: MaildirLayout,
  ) {}

  /**
   * The folders (names as stored here) changed since the last call; waits
   * for the first change, then for DEBOUNCE_MS of quiet, at most `waitMs`
   * in all (then [] when nothing changed).
   */
  async next(waitMs: number): Promise<string[]> {
    this.start();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.pending.size ? DEBOUNCE_MS : waitMs);
      this.waiting = { resolve, timer };
    });
    this.waiting = undefined;
    const folders = [...this.pending].sort();
    this.pending.clear();
    return folders;
  }

  /** Ends a wait in progress at once. */
  wake(): void {
    if (!this.waiting) return;
    clearTimeout(this.waiting.timer);
    this.waiting.resolve();
  }

  close(): void {
    this.wake();
    this.watcher?.close();
    this.watcher = undefined;
  }

  private start(): void {
    if (this.watcher) return;
    this.watcher = watch(this.root, { recursive: true, persistent: false }, (_event, file) => {
      const folder = file === null ? undefined : this.folderOf(String(file));
      if (folder === undefined) return;
      this.pending.add(folder);
      // A change restarts the quiet period of a wait in progress.
      if (this.waiting) {
        clearTimeout(this.waiting.timer);
        this.waiting.timer = setTimeout(this.waiting.resolve, DEBOUNCE_MS);
      }
    });
    // A folder removed under the watcher, or a root that went away: the periodic pass finds what changed.
    this.watcher.on('error', () => this.close());
  }

  /** The folder a changed path (relative to the root) belongs to, when it is a message or a folder directory; undefined otherwise. */
  private folderOf(file: string): string | undefined {
    const parts = file.split(sep).filter((part) => part !== '');
    const at = parts.findIndex((part) => MESSAGE_DIRS.has(part));
    // A message directory's entry (cur/x); or the message directory itself (a folder being created).
    const dirs = at >= 0 ? parts.slice(0, at) : parts;
    if (at >= 0 && (parts[at] === 'tmp' || at !== parts.length - 2)) return at === parts.length - 1 && parts[at] !== 'tmp' ? this.nameOf(dirs) : undefined;
    if (at < 0 && this.layout === 'maildir++' && parts.length !== 1) return undefined;
    return this.nameOf(dirs);
  }

  private nameOf(dirs: string[]): string | undefined {
    if (dirs.length === 0) return INBOX;
    return this.layout === 'maildir++' ? (dirs.length === 1 ? folderOfMaildirPlusPlusDir(dirs[0]!) : undefined) : folderOfNestedDirs(dirs);
  }
}
