import { watch, type FSWatcher } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { MaildirLayout } from './folder-names.js';
import { listFolderDirs, type FolderDir } from './list-folders.js';

/** After the first change, how long the Maildir must stay quiet before the folders are handed over (a mail client writes in bursts). */
export const DEBOUNCE_MS = 300;
/**
 * How long a file the repository itself wrote or removed is not taken as
 * someone else's change: long enough for its event to arrive on a loaded
 * machine, short because a user's change to that very file meanwhile (its
 * deletion) waits for the periodic pass.
 */
const OWN_WRITE_MS = 3_000;

/**
 * The folders of a Maildir whose messages changed, heard through the
 * kernel's file notifications (inotify, via fs.watch): a file added to,
 * renamed in or removed from a folder's cur/ or new/, or a folder created
 * or removed. Each folder's cur/ and new/ are watched, and each folder's
 * own directory for folders created in it (tmp/ never is); a new folder is
 * watched from the next look on. What it misses (an overflowing queue, a
 * file system without notifications) is found by the daemon's periodic pass.
 *
 * The repository's own writes (the daemon's passes) are told with
 * `ownWrites` and not reported: an echo would cost a pass, and a pass over
 * one folder of a move the user made meanwhile would copy the message
 * rather than move it.
 */
export class FolderChanges {
  private readonly watchers = new Map<string, FSWatcher>();
  /** Per folder, the names of the entries that changed ('' for the folder's directory itself). */
  private readonly pending = new Map<string, Set<string>>();
  /** File names the repository wrote or removed itself (and folders it created), until when (monotonic ms). */
  private readonly own = new Map<string, number>();
  private waiting: { resolve: () => void; timer: NodeJS.Timeout } | undefined;
  private closed = false;
  /** The folders watched, by name; undefined before the first look. */
  private known: Set<string> | undefined;
  /** A directory that may hold folders changed: look for folders created or removed. */
  private relook = false;

  constructor(
    private readonly root: string,
    private readonly layout: MaildirLayout,
    /** INBOX's directory in the root (nested and flat layouts), when INBOX is not the root itself. */
    private readonly inbox?: string,
  ) {}

  /**
   * The folders (names as stored here) changed since the last call; waits
   * for the first change, then for DEBOUNCE_MS of quiet, at most `waitMs`
   * in all (then [] when nothing changed).
   */
  async next(waitMs: number): Promise<string[]> {
    if (!this.known) await this.watchFolders();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.pending.size || this.relook ? DEBOUNCE_MS : waitMs);
      this.waiting = { resolve, timer };
    });
    this.waiting = undefined;
    if (this.relook) {
      this.relook = false;
      const before = this.known ?? new Set<string>();
      const folders = await this.watchFolders();
      // A folder watched only now may already hold messages written before its watch began (a file moved into a folder just created):
      // its files count, unless they are the repository's own.
      for (const folder of folders.filter((f) => !before.has(f.name))) {
        this.note(folder.name, '');
        for (const sub of ['cur', 'new']) for (const file of await readdir(join(folder.path, sub)).catch(() => [])) this.note(folder.name, file);
      }
      for (const folder of [...before].filter((name) => !this.known!.has(name))) this.note(folder, '');
    }
    // Filtered only now, well after the events: the name of a delivery is told once its rename is done, which may be after its event.
    const now = performance.now();
    for (const [name, until] of this.own) if (until < now) this.own.delete(name);
    const folders = [...this.pending].filter(([folder, names]) => [...names].some((name) => !this.own.has(ownKey(folder, name)))).map(([folder]) => folder);
    this.pending.clear();
    return folders.sort();
  }

  /** Files (names in cur/ or new/) of `folder` (its name as stored here) the repository itself just wrote, renamed or removed. */
  ownWrites(folder: string, names: readonly string[]): void {
    const until = performance.now() + OWN_WRITE_MS;
    for (const name of names) this.own.set(ownKey(folder, name), until);
  }

  /** A folder (its name as stored here) the repository itself is creating. */
  ownFolder(name: string): void {
    this.own.set(ownKey(name, ''), performance.now() + OWN_WRITE_MS);
  }

  /** Ends a wait in progress at once. */
  wake(): void {
    if (!this.waiting) return;
    clearTimeout(this.waiting.timer);
    this.waiting.resolve();
  }

  close(): void {
    this.closed = true;
    this.wake();
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /** Watches every folder not watched yet; forgets those gone. Returns the folders there now. */
  private async watchFolders(): Promise<FolderDir[]> {
    if (this.closed) return [];
    const { folders } = await listFolderDirs(this.root, this.layout, this.inbox).catch(() => ({ folders: [] }));
    this.known = new Set(folders.map((folder) => folder.name));
    const wanted = new Set<string>();
    // A root that is no folder (INBOX in a directory of its own) still holds the top folders.
    if (this.inbox !== undefined) {
      wanted.add(this.root);
      if (!this.watchers.has(this.root)) this.watch(this.root, '', false);
    }
    for (const folder of folders) {
      // Maildir++ and flat keep every folder in the root; nested keeps sub-folders in their parent folder's directory.
      const holdsFolders = this.layout === 'nested' || folder.path === this.root;
      for (const [dir, messages] of [
        ...(holdsFolders ? [[folder.path, false] as const] : []),
        [join(folder.path, 'cur'), true],
        [join(folder.path, 'new'), true],
      ] as const) {
        wanted.add(dir);
        if (!this.watchers.has(dir)) this.watch(dir, folder.name, messages);
      }
    }
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    return folders;
  }

  /** `messages`: a cur/ or new/ directory, whose entries are messages; else a folder's directory, whose sub-directories may be folders. */
  private watch(dir: string, folder: string, messages: boolean): void {
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, { persistent: false }, (_event, file) => {
        if (messages) this.changed(folder, String(file ?? ''));
        else if (file === null || this.layout !== 'maildir++' || String(file).startsWith('.')) this.changed(undefined, '');
      });
    } catch {
      return; // gone meanwhile: the next look finds out
    }
    // A directory removed under its watcher: the next look forgets it, the periodic pass finds what changed.
    watcher.on('error', () => {
      watcher.close();
      this.watchers.delete(dir);
      this.changed(undefined, '');
    });
    this.watchers.set(dir, watcher);
  }

  private note(folder: string, entry: string): void {
    const names = this.pending.get(folder) ?? new Set<string>();
    this.pending.set(folder, names.add(entry));
  }

  /** `folder` undefined: a folder may have been created or removed. */
  private changed(folder: string | undefined, entry: string): void {
    if (folder === undefined) this.relook = true;
    else this.note(folder, entry);
    // A change restarts the quiet period of a wait in progress.
    if (this.waiting) {
      clearTimeout(this.waiting.timer);
      this.waiting.timer = setTimeout(this.waiting.resolve, DEBOUNCE_MS);
    }
  }
}

/** A file of a folder ('': the folder's own directory), as one key (a NUL occurs in no name). */
function ownKey(folder: string, name: string): string {
  return `${folder}\0${name}`;
}
