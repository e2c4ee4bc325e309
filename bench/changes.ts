// The server-side changes of the "changes" scenario: new messages delivered
// and flags changed by another client, as between two runs of a mirror.
import type { DovecotServer } from '../test/support/dovecot.js';
import { imapClient } from '../test/support/messages.js';
import { seedMessages } from './corpus.js';
import { FOLDERS } from './mail.js';
import { below, randomFrom, seedOf, shuffle } from './random.js';

export interface Changes {
  added: number;
  flagsChanged: number;
}

/**
 * Delivers `newSizes.length` new messages (numbered from firstIndex) and
 * toggles one flag (\Seen, or \Flagged for a third of them) on `flagChanges`
 * random existing messages with IMAP STORE. Seeded by round, so every round
 * changes different messages, the same ones on every bench run.
 */
export async function changeServer(
  server: DovecotServer,
  user: string,
  options: { seed: number; round: number; firstIndex: number; newSizes: number[]; flagChanges: number },
): Promise<Changes> {
  const random = randomFrom(seedOf(options.seed, 'changes', options.round));
  const client = await imapClient(server, user);
  let flagsChanged = 0;
  try {
    // Flags first, so the STOREs touch only messages both tools already have.
    const all: { folder: string; uid: number; flags: Set<string> }[] = [];
    for (const { name } of FOLDERS) {
      const lock = await client.getMailboxLock(name, { readOnly: true });
      try {
        if (client.mailbox && client.mailbox.exists > 0) {
          for (const m of await client.fetchAll('1:*', { uid: true, flags: true })) all.push({ folder: name, uid: m.uid, flags: m.flags ?? new Set() });
        }
      } finally {
        lock.release();
      }
    }
    // One STORE per folder, flag and direction.
    const stores = new Map<string, number[]>();
    for (const m of shuffle(all, random).slice(0, options.flagChanges)) {
      const flag = below(random, 3) === 0 ? '\\Flagged' : '\\Seen';
      const key = JSON.stringify([m.folder, flag, m.flags.has(flag) ? 'remove' : 'add']);
      const uids = stores.get(key) ?? [];
      uids.push(m.uid);
      stores.set(key, uids);
    }
    for (const [key, uids] of stores) {
      const [folder, flag, direction] = JSON.parse(key) as [string, string, 'add' | 'remove'];
      const lock = await client.getMailboxLock(folder);
      try {
        const done = direction === 'add' ? await client.messageFlagsAdd(uids, [flag], { uid: true }) : await client.messageFlagsRemove(uids, [flag], { uid: true });
        if (!done) throw new Error(`STORE ${direction} ${flag} in ${folder} failed`);
        flagsChanged += uids.length;
      } finally {
        lock.release();
      }
    }
  } finally {
    await client.logout();
  }
  const { messages: added } = await seedMessages(server, user, options.seed, options.firstIndex, options.newSizes);
  return { added, flagsChanged };
}
