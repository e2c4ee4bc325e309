import type { ImapFlow } from 'imapflow';
import type { Identity, NewMessage } from '../../api/types.js';
import { StoreError } from '../../api/errors.js';
import { identityFromBody } from '../identity.js';
import { identifyUids } from './identify.js';
import { flagList } from './fields.js';

/**
 * APPENDs `messages` to the folder at `path` (with their flags and
 * INTERNALDATE) and returns their UIDs, in order.
 *
 * With UIDPLUS each UID comes from the APPENDUID answer. Without it, the UIDs
 * are found afterwards among the messages at or above the UIDNEXT seen before
 * the first APPEND, by identity (Message-ID + size, or the body hash when
 * there is no Message-ID): see findNewUids.
 */
export async function appendMessages(client: ImapFlow, path: string, messages: NewMessage[], folder: string): Promise<number[]> {
  const uidPlus = client.capabilities.has('UIDPLUS');
  const before = uidPlus ? undefined : await client.status(path, { uidNext: true });
  const uids: number[] = [];
  for (const [index, message] of messages.entries()) {
    const answer = await client.append(path, message.body, flagList(message.flags), new Date(message.internalDate));
    if (!answer) throw new StoreError(`APPEND of message ${index + 1} to "${folder}" was refused`);
    if (uidPlus) {
      if (!answer.uid) throw new StoreError(`APPEND to "${folder}" gave no APPENDUID although the server announces UIDPLUS`);
      uids.push(answer.uid);
    }
  }
  if (uidPlus) return uids;
  if (!before || !before.uidNext) throw new StoreError(`STATUS of "${folder}" gave no UIDNEXT; cannot find the appended messages`);
  return findNewUids(client, path, before.uidNext, messages.map((message) => identityFromBody(message.body).identity), folder);
}

/**
 * Finds, among the messages with UID >= `fromUid` in the folder at `path`,
 * one per identity, in order: the lowest UID with that identity not taken by
 * an earlier one (so twins appended in one batch get their UIDs in order).
 * Selects the folder. Used where the server does not say which UIDs it gave
 * (no UIDPLUS: APPEND, COPY).
 */
export async function findNewUids(client: ImapFlow, path: string, fromUid: number, identities: Identity[], folder: string): Promise<number[]> {
  await client.mailboxOpen(path);
  // `UID n:*` also matches the highest UID when it is below n: filter.
  const found = await client.search({ uid: `${fromUid}:*` }, { uid: true });
  const candidates = (Array.isArray(found) ? found : []).filter((uid) => uid >= fromUid).sort((a, b) => a - b);
  const byUid = await identifyUids(client, candidates);
  const taken = new Set<number>();
  return identities.map((identity, index) => {
    const uid = candidates.find((candidate) => !taken.has(candidate) && byUid.get(candidate)?.identity === identity);
    if (uid === undefined) {
      throw new StoreError(
        `message ${index + 1} was stored in "${folder}" but could not be found there again (the server has no UIDPLUS ` +
          `and no new message has its identity ${identity}); the next scan will pair it by identity`,
      );
    }
    taken.add(uid);
    return uid;
  });
}
