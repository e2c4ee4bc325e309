// Seeding a corpus into the test Dovecot, the fast way: message files written
// straight into the server's Maildir (dropIntoMaildir), then one doveadm
// force-resync per batch so Dovecot indexes them.
import { dropIntoMaildir } from '../test/support/messages.js';
import type { DovecotServer } from '../test/support/dovecot.js';
import { benchMessage, FOLDERS, type BenchFolder, type BenchMessage } from './mail.js';

export interface CorpusStats {
  messages: number;
  bytes: number;
  folders: Record<string, number>;
}

/** Files per batch are bounded in bytes and in count: memory stays small, force-resyncs few. */
const BATCH_BYTES = 32 << 20;
const BATCH_MESSAGES = 5_000;

/**
 * Delivers the messages numbered firstIndex, firstIndex+1, … with the given
 * sizes to `user`'s folders (the main corpus's unless given), and returns what it delivered.
 */
export async function seedMessages(server: DovecotServer, user: string, seed: number, firstIndex: number, sizes: number[], folders: readonly BenchFolder[] = FOLDERS): Promise<CorpusStats> {
  const stats: CorpusStats = { messages: 0, bytes: 0, folders: Object.fromEntries(folders.map((f) => [f.name, 0])) };
  const pending = new Map<string, { messages: BenchMessage[]; bytes: number }>();
  const flush = async (folder: string) => {
    const batch = pending.get(folder);
    if (!batch) return;
    pending.delete(folder);
    await dropIntoMaildir(server, user, folder, batch.messages);
  };
  for (const [i, size] of sizes.entries()) {
    const message = benchMessage(seed, firstIndex + i, size, folders);
    const batch = pending.get(message.folder) ?? { messages: [], bytes: 0 };
    pending.set(message.folder, batch);
    batch.messages.push(message);
    batch.bytes += message.raw.length;
    stats.messages++;
    stats.bytes += message.raw.length;
    stats.folders[message.folder]!++;
    if (batch.bytes >= BATCH_BYTES || batch.messages.length >= BATCH_MESSAGES) await flush(message.folder);
  }
  for (const folder of [...pending.keys()]) await flush(folder);
  return stats;
}
