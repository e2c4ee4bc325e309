import { open, type FileHandle } from 'node:fs/promises';

/**
 * fsyncs an SQLite database's write-ahead log on Node's thread pool. With
 * `synchronous = NORMAL`, SQLite writes a commit's frames to the WAL without
 * syncing them; awaiting `sync()` after the commit makes it as durable as
 * `synchronous = FULL` would, without stopping the calling thread for the
 * fsync. The WAL keeps its inode while the database is open (a checkpoint
 * rewinds it, never deletes it), so one handle serves every sync.
 */
export class WalSync {
  private handle: Promise<FileHandle> | undefined;
  private readonly pending = new Set<Promise<void>>();

  constructor(private readonly walPath: string) {}

  /** Returns once everything written to the WAL before the call is on disk. */
  sync(): Promise<void> {
    const syncing = this.syncOnce();
    this.pending.add(syncing);
    const settled = () => void this.pending.delete(syncing);
    syncing.then(settled, settled);
    return syncing;
  }

  /** Waits for the syncs under way, then closes the handle. */
  async close(): Promise<void> {
    await Promise.allSettled(this.pending);
    const handle = this.handle;
    this.handle = undefined;
    await handle?.then((opened) => opened.close()).catch(() => undefined);
  }

  private async syncOnce(): Promise<void> {
    const opening = (this.handle ??= open(this.walPath, 'r'));
    let handle: FileHandle;
    try {
      handle = await opening;
    } catch (error) {
      if (this.handle === opening) this.handle = undefined; // the next sync tries to open it again
      throw error;
    }
    await handle.sync();
  }
}
