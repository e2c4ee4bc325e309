/**
 * What mbsync's and offlineimap's records of a Maildir folder's last sync
 * share: the Maildir's flag letters, the `,U=<n>` field their file names
 * carry, and the pairs built from a record's entries.
 */
import type { MessageId, PriorPair, PriorSync } from '../../api/types.js';

/** The letters both tools write, as imapfw's flags; 'P' (passed) is none of imapfw's: left out of the base. */
const FLAG_OF_LETTER: Readonly<Record<string, string | undefined>> = { D: '\\Draft', F: '\\Flagged', P: undefined, R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

/** The flags of a record's letters; undefined when a letter is none the tools write (a record not as they make it). */
export function recordFlags(letters: string): string[] | undefined {
  if (!/^[A-Z]*$/.test(letters) || [...letters].some((letter) => !(letter in FLAG_OF_LETTER))) return undefined;
  return [...new Set(letters)].flatMap((letter) => FLAG_OF_LETTER[letter] ?? []);
}

/** A record that is not to be believed, and why. */
export function refusedRecord(tool: string, why: string): PriorSync {
  return { tool, serverUidValidity: '', pairs: [], unusable: why };
}

/**
 * The message ids by the number of their `,U=<n>` field, for the ids `accept`
 * takes; null for a number two files carry (which one the tool paired is not
 * known, so neither is paired from its record).
 */
export function idsByUid(ids: readonly MessageId[], accept: (id: MessageId) => boolean = () => true): Map<number, MessageId | null> {
  const byUid = new Map<number, MessageId | null>();
  for (const id of ids) {
    const match = /,U=(\d+)(?:,|$)/.exec(id);
    if (match && accept(id)) {
      const uid = Number(match[1]);
      byUid.set(uid, byUid.has(uid) ? null : id);
    }
  }
  return byUid;
}

export interface RecordEntry {
  /** The server's UID. */
  server: number;
  /** The `,U=` number of the local file. */
  local: number;
  flags: string[];
}

/**
 * The record's pairs: each entry with the file carrying its local number,
 * or, when that file is gone, an id that names no message (a Maildir id
 * never holds ':'). Entries naming a number another entry names too, or
 * one two files carry, are left out: their messages pair by identity.
 */
export function recordPairs(tool: string, entries: readonly RecordEntry[], byUid: ReadonlyMap<number, MessageId | null>): PriorPair[] {
  const count = (key: 'server' | 'local') => {
    const seen = new Map<number, number>();
    for (const entry of entries) seen.set(entry[key], (seen.get(entry[key]) ?? 0) + 1);
    return seen;
  };
  const servers = count('server');
  const locals = count('local');
  const pairs: PriorPair[] = [];
  for (const { server, local, flags } of entries) {
    const here = byUid.get(local);
    if (here === null || servers.get(server)! > 1 || locals.get(local)! > 1) continue;
    pairs.push({ server: String(server), here: here ?? `${tool}:U=${local}`, flags });
  }
  return pairs;
}
