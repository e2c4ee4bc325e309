import type { ImapFlow, MailboxObject } from 'imapflow';
import { StoreError, TooBigError, type StoreFailure } from '../../api/errors.js';
import type { Identity, NewMessage } from '../../api/types.js';
import { identityFromBody } from '../identity.js';
import { toCrlf } from '../crlf.js';
import { toImapfwError } from './errors.js';
import { flagList } from './fields.js';
import { identifyUids } from './identify.js';
import { appendAtOnce, canAppendAtOnce } from './multi-append.js';
import { openMailbox } from './open-mailbox.js';

/** What a folder looked like before messages were written to it. */
export interface FolderBefore {
  uidNext: number;
  uidValidity: bigint;
}

/** A UID the server said a message got (APPENDUID, COPYUID), with the UIDVALIDITY it came with. */
export interface UidClaim {
  uid: number;
  uidValidity?: bigint;
}

/** What became of a batch: each message's UID, or why it is not stored (by its place in the batch). */
export interface AppendOutcome {
  uids: (number | undefined)[];
  failures: StoreFailure[];
}

/** Where written messages are now (see locateStored). */
export interface Located {
  /** Each message's UID, in order; undefined for one that cannot be found. */
  uids: (number | undefined)[];
  /** New UIDs (at or above the UIDNEXT seen before) whose message matches none written. */
  strangers: number[];
}

/**
 * APPENDs `messages` to the folder at `path` (with their flags and
 * INTERNALDATE, line ends sent as CRLF) and finds out where each one landed.
 *
 * A batch goes in one MULTIAPPEND when the server offers it (see
 * appendAtOnce). When the server refuses that command, the messages are
 * sent one APPEND each, so that a refused message fails alone; one the
 * server stored despite its refusal is found by identity first and not sent
 * again. A message the server refuses (NO, BAD) fails alone: the others are
 * still sent. A UID the server gives (APPENDUID) is not taken on its word:
 * see locateStored. A message answered OK that cannot be found afterwards is
 * reported as not stored. A lost connection throws (NetworkError): what was
 * sent before is found by identity on the next run.
 */
export async function appendMessages(client: ImapFlow, path: string, messages: NewMessage[], folder: string, account: string): Promise<AppendOutcome> {
  const before = await folderBefore(client, path, folder);
  const items = messages.map((message) => ({ body: toCrlf(message.body), flags: flagList(message.flags), internalDate: message.internalDate }));
  const identities = messages.map((message) => message.identity ?? identityFromBody(message.body).identity);
  const failures: AppendOutcome['failures'] = [];
  let claims: (UidClaim | undefined)[] = [];
  let sent: number[] = [];
  const refusal = (error: unknown) => {
    const mapped = toImapfwError(error, { account, operation: 'append', folder, connectionLost: !client.usable });
    // Only a refusal of this message (NO, BAD, too large) fails it alone; a lost connection, a missing folder, throttling or a spent daily limit end the batch.
    if (!(mapped instanceof StoreError || mapped instanceof TooBigError) || mapped.retryable) throw mapped;
    return mapped;
  };
  if (canAppendAtOnce(client, path, items)) {
    try {
      claims = await appendAtOnce(client, path, items);
      sent = items.map((_, index) => index);
    } catch (error) {
      refusal(error);
      // RFC 3502: nothing of a refused MULTIAPPEND is stored. A server that stored some anyway has them found here, not sent twice.
      sent = await landedAnyway(client, path, before, identities, folder);
    }
  }
  if (sent.length < items.length) {
    const stored = new Set(sent);
    for (const [index, item] of items.entries()) {
      if (stored.has(index)) continue;
      try {
        const answer = await client.append(path, item.body, item.flags, new Date(item.internalDate));
        if (!answer) throw new StoreError('APPEND was refused');
        sent.push(index);
        // imapflow guesses a UID from EXISTS when there is no APPENDUID: only a UID with its UIDVALIDITY is the server's claim.
        claims[index] = answer.uid && answer.uidValidity !== undefined ? { uid: answer.uid, uidValidity: answer.uidValidity } : undefined;
      } catch (error) {
        failures.push({ index, reason: refusal(error).message });
      }
    }
    sent.sort((a, b) => a - b);
  }
  const uids: (number | undefined)[] = new Array(messages.length).fill(undefined);
  if (sent.length === 0) return { uids, failures };
  const located = await locateStored(
    client,
    path,
    before,
    sent.map((index) => ({ identity: identities[index]!, ...(claims[index] ? { claim: claims[index] } : {}) })),
  );
  sent.forEach((index, i) => {
    if (located.uids[i] !== undefined) uids[index] = located.uids[i];
    else if (located.strangers.length === 0) failures.push({ index, reason: `the server answered OK but the message is not in "${folder}": no new message there has its identity` });
    // Something new landed that matches nothing sent: most likely this message, changed by the server beyond recognition.
    else failures.push({ index, unfound: true, reason: `the server answered OK, but no message in "${folder}" has its identity, while ${located.strangers.length} new one(s) there (UIDs ${located.strangers.join(',')}) match nothing sent: it is probably there, changed by the server` });
  });
  failures.sort((a, b) => a.index - b.index);
  return { uids, failures };
}

/** After a refused MULTIAPPEND: the places of the messages that are in the folder all the same (none unless the folder grew). */
async function landedAnyway(client: ImapFlow, path: string, before: FolderBefore, identities: Identity[], folder: string): Promise<number[]> {
  const now = await folderBefore(client, path, folder);
  if (now.uidNext === before.uidNext && now.uidValidity === before.uidValidity) return [];
  const { uids } = await locateStored(client, path, before, identities.map((identity) => ({ identity })));
  return uids.flatMap((uid, index) => (uid === undefined ? [] : [index]));
}

/** UIDNEXT and UIDVALIDITY of the folder at `path`, by STATUS. */
export async function folderBefore(client: ImapFlow, path: string, folder: string): Promise<FolderBefore> {
  const status = await client.status(path, { uidNext: true, uidValidity: true });
  if (!status || !status.uidNext || status.uidValidity === undefined) {
    throw new StoreError(`STATUS of "${folder}" gave no UIDNEXT or UIDVALIDITY; cannot tell where written messages land`);
  }
  return { uidNext: status.uidNext, uidValidity: BigInt(status.uidValidity) };
}

/**
 * Where each of `expected` (messages just written to the folder at `path`)
 * is now, in order; undefined for one that cannot be found; and, when one
 * cannot, the new messages that match none of them.
 *
 * A UID the server claimed is believed when it is plausible (the folder's
 * UIDVALIDITY, at or above the UIDNEXT seen before the write, claimed once)
 * and the message there has the expected identity. Every other message is
 * looked for by identity among the UIDs at or above that UIDNEXT not taken
 * yet, lowest first, in order: twins written in one batch get their UIDs in
 * order, and a message delivered meanwhile by someone else is taken only if
 * it is the same mail.
 *
 * When `path` is the selected folder, its claims are checked first without
 * selecting it again: a server reports the messages appended to the selected
 * folder during the APPEND itself (RFC 3501 5.2), so one round trip less per
 * batch. Anything not confirmed that way is looked for after a fresh SELECT.
 */
export async function locateStored(client: ImapFlow, path: string, before: FolderBefore, expected: { identity: Identity; claim?: UidClaim }[]): Promise<Located> {
  if (client.mailbox && client.mailbox.path === path) {
    const { located } = await confirmClaims(client, client.mailbox, before, expected);
    if (located.every((uid) => uid !== undefined)) return { uids: located, strangers: [] };
  }
  const mailbox = await openMailbox(client, path);
  const { located, fromUid } = await confirmClaims(client, mailbox, before, expected);
  if (located.every((uid) => uid !== undefined)) return { uids: located, strangers: [] };

  const taken = new Set(located.filter((uid): uid is number => uid !== undefined));
  // `UID n:*` also matches the highest UID when it is below n: filter.
  const found = await client.search({ uid: `${fromUid}:*` }, { uid: true });
  const candidates = (Array.isArray(found) ? found : []).filter((uid) => uid >= fromUid && !taken.has(uid)).sort((a, b) => a - b);
  const identities = await identifyUids(client, candidates);
  const uids = located.map((uid, index) => {
    if (uid !== undefined) return uid;
    const match = candidates.find((candidate) => !taken.has(candidate) && identities.get(candidate)?.identity === expected[index]!.identity);
    if (match !== undefined) taken.add(match);
    return match;
  });
  const sought = new Set(expected.map(({ identity }) => identity));
  return { uids, strangers: candidates.filter((uid) => !taken.has(uid) && !sought.has(identities.get(uid)?.identity ?? '')) };
}

/** The claimed UIDs (see locateStored) confirmed by the identity of the message there, in `mailbox` as selected; where new UIDs start. */
async function confirmClaims(client: ImapFlow, mailbox: MailboxObject, before: FolderBefore, expected: { identity: Identity; claim?: UidClaim }[]): Promise<{ located: (number | undefined)[]; fromUid: number }> {
  // The folder was recreated meanwhile: no UID from before means anything, look everywhere.
  const renumbered = BigInt(mailbox.uidValidity) !== before.uidValidity;
  const fromUid = renumbered ? 1 : before.uidNext;
  const claimed = new Map<number, number>();
  for (const { claim } of expected) if (claim) claimed.set(claim.uid, (claimed.get(claim.uid) ?? 0) + 1);
  const plausible = (claim: UidClaim | undefined): claim is UidClaim =>
    claim !== undefined && !renumbered && claim.uidValidity === before.uidValidity && claim.uid >= fromUid && claimed.get(claim.uid) === 1;
  const claimedIdentities = await identifyUids(client, expected.flatMap(({ claim }) => (plausible(claim) ? [claim.uid] : [])));
  return { located: expected.map(({ identity, claim }) => (plausible(claim) && claimedIdentities.get(claim.uid)?.identity === identity ? claim.uid : undefined)), fromUid };
}
