import { closeSync, fsync, futimesSync, openSync, renameSync, unlink, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { crlfSize, CrlfSizeCounter } from '../crlf.js';
import { formatFileName } from './file-name.js';
import { uniqueName } from './unique-name.js';

export interface Delivery {
  body: Uint8Array;
  /** Info letters, e.g. 'FSa'. */
  letters: string;
  /** INTERNALDATE in ms: becomes the file's mtime. */
  internalDate: number;
  /** The size with CRLF line ends the source reported (NewMessage.size), when known. */
  size?: number | undefined;
}

/**
 * Delivers one message the Maildir way (see DraftFile): written to tmp/,
 * its mtime set, fsynced, then renamed into cur/ with its flags. Returns the
 * file name in cur/.
 */
export async function deliver(folderDir: string, message: Delivery, options: { fsync: boolean }): Promise<string> {
  const { body } = message;
  const draft = await DraftFile.create(folderDir);
  try {
    // A source's size that is the byte count says there is no bare LF to count (NewMessage.size).
    await draft.write(body, message.size === body.byteLength ? body.byteLength : crlfSize(body));
    return await draft.deliver(message.letters, message.internalDate, options);
  } catch (error) {
    await draft.discard();
    throw error;
  }
}

// Only the fsync waits on Node's thread pool. Opening, writing to the page cache, setting the mtime, closing and
// renaming take microseconds, less than handing each to the pool and back: with all six through the pool, a 10k
// initial mirror took 7-10% more CPU (docs/performance.md, "The copy's thread").
const syncFile = promisify(fsync);
const unlinkFile = promisify(unlink);

/**
 * A message being written to a folder's tmp/, part by part, its CRLF size
 * counted as the parts go by. `deliver` sets its mtime, fsyncs it and
 * renames it into cur/ under its unique name with S= and W=: a crash leaves
 * at most a file in tmp/ (removed later, see tmp-cleanup), never a partial
 * message in cur/. The caller fsyncs cur/ (see fsyncDir) before reporting
 * the id as durable.
 */
export class DraftFile {
  private bytes = 0;
  private readonly counter = new CrlfSizeCounter();
  /** The CRLF size when the writer knew it (deliver's one write), else counted. */
  private knownCrlfSize: number | undefined;
  private closed = false;

  private constructor(
    private readonly folderDir: string,
    private readonly name: string,
    private readonly fd: number,
  ) {}

  static async create(folderDir: string): Promise<DraftFile> {
    const name = uniqueName();
    return new DraftFile(folderDir, name, openSync(join(folderDir, 'tmp', name), 'wx', 0o600));
  }

  /** Appends `part`; `crlfSize`, when given, is the size of the whole message with CRLF line ends (one write: nothing to count). */
  async write(part: Uint8Array, crlfSize?: number): Promise<void> {
    if (crlfSize !== undefined && this.bytes === 0) this.knownCrlfSize = crlfSize;
    else this.counter.update(part);
    for (let written = 0; written < part.byteLength; ) written += writeSync(this.fd, part, written, part.byteLength - written, null);
    this.bytes += part.byteLength;
  }

  /** Makes the message a file of cur/ with `letters`; returns its name there. */
  async deliver(letters: string, internalDate: number, options: { fsync: boolean }): Promise<string> {
    const id = `${this.name},S=${this.bytes},W=${this.knownCrlfSize ?? this.counter.size}`;
    try {
      // atime = now: tmp/ cleaners (ours, Dovecot's) judge staleness by atime/ctime, never by our INTERNALDATE.
      futimesSync(this.fd, new Date(), new Date(internalDate));
      if (options.fsync) await syncFile(this.fd);
    } finally {
      this.close();
    }
    const fileName = formatFileName(id, letters);
    renameSync(this.tmpPath(), join(this.folderDir, 'cur', fileName));
    return fileName;
  }

  /** Drops the draft (its file in tmp/). */
  async discard(): Promise<void> {
    try {
      this.close();
    } catch {
      // The draft goes either way: a descriptor that fails to close is no reason to keep its file.
    }
    await unlinkFile(this.tmpPath()).catch(() => undefined);
  }

  /** Closes the descriptor once: closed twice, it could close a file opened since under the same number. */
  private close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private tmpPath(): string {
    return join(this.folderDir, 'tmp', this.name);
  }
}
