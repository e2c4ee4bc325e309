import type { MessageId } from '../../api/types.js';
import { StoreError } from '../../api/errors.js';

/** The largest UID (RFC 3501: a 32-bit nz-number). */
export const MAX_UID = 4294967295;

/** The UID of a message id; throws StoreError for anything that is not one. */
export function toUid(id: MessageId): number {
  const uid = /^[1-9][0-9]{0,9}$/.test(id) ? Number(id) : NaN;
  if (!(uid <= MAX_UID)) throw new StoreError(`"${id}" is not an IMAP message id (a UID from 1 to ${MAX_UID})`);
  return uid;
}

/**
 * Packs UIDs into IMAP sequence sets like "1:4,7,9:12", sorted and without
 * duplicates, split so that no set is longer than `maxLength` characters
 * (servers cap the command line: Dovecot at 64 KiB).
 */
export function uidSets(uids: Iterable<number>, maxLength = 8000): string[] {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const sets: string[] = [];
  let current = '';
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const range = i === j ? `${sorted[i]}` : `${sorted[i]}:${sorted[j]}`;
    if (current && current.length + 1 + range.length > maxLength) {
      sets.push(current);
      current = '';
    }
    current = current ? `${current},${range}` : range;
    i = j + 1;
  }
  if (current) sets.push(current);
  return sets;
}
