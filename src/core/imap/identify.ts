import type { ImapFlow } from 'imapflow';
import type { Identity } from '../../api/types.js';
import { findMessageId, identityFromBody, identityFromMessageId, normalizeMessageId } from '../identity.js';
import { uidSets } from './uid-set.js';

export interface UidIdentity {
  identity: Identity;
  messageId?: string;
}

/** Bodies hashed per FETCH when messages have no Message-ID: bounds memory. */
const BODIES_PER_FETCH = 20;

/**
 * Identities of messages in the selected mailbox, by UID. One
 * `UID FETCH set (BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])` gives
 * 'mid:<id>'; only messages without a Message-ID have their body fetched
 * and hashed. UIDs that no longer exist are absent from the map.
 */
export async function identifyUids(client: ImapFlow, uids: number[]): Promise<Map<number, UidIdentity>> {
  const identities = new Map<number, UidIdentity>();
  const withoutMessageId: number[] = [];
  const wanted = new Set(uids);
  for (const set of uidSets(uids)) {
    const rows = await client.fetchAll(set, { uid: true, headers: ['message-id'] }, { uid: true });
    for (const row of rows) {
      if (!wanted.has(row.uid)) continue;
      const messageId = row.headers ? findMessageId(row.headers.toString('latin1')) : undefined;
      if (messageId) {
        identities.set(row.uid, { identity: identityFromMessageId(messageId), messageId: normalizeMessageId(messageId) });
      } else {
        withoutMessageId.push(row.uid);
      }
    }
  }
  for (let i = 0; i < withoutMessageId.length; i += BODIES_PER_FETCH) {
    const batch = withoutMessageId.slice(i, i + BODIES_PER_FETCH);
    for (const set of uidSets(batch)) {
      const rows = await client.fetchAll(set, { uid: true, source: true }, { uid: true });
      for (const row of rows) {
        if (wanted.has(row.uid) && row.source) identities.set(row.uid, identityFromBody(row.source));
      }
    }
  }
  return identities;
}
