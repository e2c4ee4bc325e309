import { lstatSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import type { MessageMeta } from '../../api/types.js';
import type { KeywordTable } from './keywords.js';
import type { MessageFile } from './list-messages.js';

/** What a file's lstat tells a scan: its size and INTERNALDATE (mtime). Both stay as long as the file keeps its name. */
export interface FileStamp {
  bytes: number;
  internalDate: number;
}

export async function readFileStamp(folderDir: string, file: MessageFile): Promise<FileStamp> {
  const stats = lstatSync(join(folderDir, file.subdir, file.name), { bigint: true });
  return { bytes: Number(stats.size), internalDate: internalDateOf(stats) };
}

/**
 * What a scan reports for one file: flags from its name, its `size` (the
 * name's W=/S= field, see sizeFromId, else the file size: CRLF-exact only
 * when the file keeps CRLF line ends), INTERNALDATE from its mtime when its
 * `stamp` was read.
 */
export function messageMeta(file: MessageFile, keywords: KeywordTable, size: number, stamp?: FileStamp): MessageMeta {
  return {
    id: file.id,
    flags: keywords.flagsOf(file.letters),
    size,
    ...(stamp ? { internalDate: stamp.internalDate } : {}),
  };
}

/**
 * INTERNALDATE from mtime, rounded to the nearest ms: utimes() goes through
 * a float number of seconds, so a stored 12:00:00.123 may read back as
 * 12:00:00.122999906.
 */
export function internalDateOf(stats: BigIntStats): number {
  return Number((stats.mtimeNs + 500_000n) / 1_000_000n);
}
