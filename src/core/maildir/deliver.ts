import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { crlfSize } from '../crlf.js';
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
 * Delivers one message the Maildir way: written to tmp/, its mtime set,
 * fsynced, then renamed into cur/ with its flags. A crash leaves at most a
 * file in tmp/, never a partial message in cur/. The caller fsyncs cur/
 * once per batch (see fsyncDir) before reporting the ids as durable.
 * Returns the file name in cur/.
 */
export async function deliver(folderDir: string, message: Delivery, options: { fsync: boolean }): Promise<string> {
  const { body } = message;
  // A source's size that is the byte count says there is no bare LF to count (NewMessage.size).
  const id = `${uniqueName()},S=${body.byteLength},W=${message.size === body.byteLength ? body.byteLength : crlfSize(body)}`;
  const tmpPath = join(folderDir, 'tmp', id);
  const fileName = formatFileName(id, message.letters);
  try {
    const handle = await open(tmpPath, 'wx', 0o600);
    try {
      await handle.writeFile(body);
      // atime = now: tmp/ cleaners (ours, Dovecot's) judge staleness by atime/ctime, never by our INTERNALDATE.
      await handle.utimes(new Date(), new Date(message.internalDate));
      if (options.fsync) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmpPath, join(folderDir, 'cur', fileName));
  } catch (error) {
    await unlink(tmpPath).catch(() => undefined);
    throw error;
  }
  return fileName;
}

