import { listMessageFiles, type MessageFile, type MessageListing } from './list-messages.js';

const ATTEMPTS = 3;

/**
 * Finds message files by id for one batch operation. A file may have been
 * renamed (flags changed) or removed by another client since the last
 * listing: a miss lists the folder again, once per batch for unknown ids,
 * and again whenever a file from the current listing turns out gone.
 */
export class MessageFinder {
  private listing: Map<string, MessageFile> | undefined;
  private relisted = false;
  /** The first listing, when none was cached: the lookups running at once (a batch's) wait for this one, not one each. */
  private firstListing: Promise<void> | undefined;

  constructor(
    private readonly folderDir: string,
    cached: Map<string, MessageFile> | undefined,
    private readonly onListing: (listing: MessageListing) => void,
  ) {
    this.listing = cached;
  }

  /**
   * Runs `action` on the file of `id`, looking again when it fails with
   * ENOENT (the file moved). Undefined when the message is gone.
   */
  async withFile<T>(id: string, action: (file: MessageFile) => Promise<T>): Promise<T | undefined> {
    let file = await this.find(id);
    for (let attempt = 0; file && attempt < ATTEMPTS; attempt++) {
      try {
        return await action(file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        file = await this.findAgain(file);
      }
    }
    return undefined;
  }

  /** Records a change made by this batch (a rename, a delivery, an unlink). */
  update(id: string, file: MessageFile | undefined): void {
    if (!this.listing) return;
    if (file) this.listing.set(id, file);
    else this.listing.delete(id);
  }

  private async find(id: string): Promise<MessageFile | undefined> {
    if (!this.listing) await (this.firstListing ??= this.relist());
    const file = this.listing!.get(id);
    if (file || this.relisted) return file;
    await this.relist();
    return this.listing!.get(id);
  }

  private async findAgain(stale: MessageFile): Promise<MessageFile | undefined> {
    if (this.listing!.get(stale.id) === stale) await this.relist();
    const file = this.listing!.get(stale.id);
    return file === stale ? undefined : file;
  }

  private async relist(): Promise<void> {
    const listing = await listMessageFiles(this.folderDir);
    this.listing = listing.files;
    this.relisted = true;
    this.onListing(listing);
  }
}
