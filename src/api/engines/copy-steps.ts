import type { Logger } from 'pino';
import type { Remote } from '../app.js';
import type { SkippedItem } from './folder-report.js';
import { NoSpaceError, PartialStoreError, StateConflictError, type MessagesUnavailableError, type StoreFailure } from '../errors.js';
import type { NewIntent, StateCommit, StateStore } from '../state/types.js';
import type { FetchedMessage, FolderRef, Identity, Repository, Side } from '../types.js';
import type { PlanStep } from '../../core/sync/index.js';
import { IdentityBuilder, identityFromBody } from '../../core/identity.js';
import { messageLabel } from '../../core/message-label.js';
import { unfoundItem } from './unfound.js';
import type { CopyQueue } from './copy-queue.js';
import { retrying } from './retrying.js';

/**
 * A message a batch stored: its id and flags on the target, the id it was
 * copied from, and the identity it was copied with (the IMAP repository
 * finds each copy again by it after its APPEND: see appendMessages).
 */
export interface LandedCopy {
  id: string;
  flags: readonly string[];
  sourceId: string;
  identity: Identity;
}

export interface CopyJob {
  /**
   * Steps that each copy one message from `from` to the other side, taken
   * off this queue as they are copied: idle engines may borrow from its end
   * meanwhile (SharedCopies).
   */
  steps: CopyQueue;
  from: Side;
  /** The source folder under the uidValidity its ids were listed with, and the target folder. */
  folders: { from: FolderRef; to: FolderRef };
  folderPairId: number;
  /** Sizes of the source's messages, to cut batches by bytes. */
  sizes: ReadonlyMap<string, number>;
  source: Remote<Repository>;
  target: Remote<Repository>;
  state: Remote<StateStore>;
  batchMessages: number;
  batchBytes: number;
  /** A message larger than this is copied in parts of this size, never held whole (see copyInParts). */
  partBytes: number;
  /** A batch landed on the target: the new messages, and their bytes. */
  onBatch(stored: LandedCopy[], bytes: number): void;
  /**
   * Messages not copied this run, with why: not returned by the source (no
   * body, or expunged meanwhile), refused by the target, or not found there
   * after it said OK. The rest goes on; the next run tries them again.
   */
  onSkipped(items: SkippedItem[]): void;
  onError(error: unknown): void;
  /** Where to say that saved pairs were dissolved. */
  log?: Pick<Logger, 'warn'> | undefined;
  /** Awaited before each batch is fetched, with its message count and bytes (rate limits). */
  throttle?: ((messages: number, bytes: number) => Promise<void>) | undefined;
}

/**
 * Copies messages in batches, pipelined: the next batch is fetched while the
 * previous one is stored, and no more than two batches are ever in flight,
 * so memory does not grow with the folder. Batches are cut by the sizes the
 * source claimed, and bounded by the bytes that actually arrive (`maxBytes`):
 * a batch holds about `batchBytes` plus at most one message, whatever a
 * server claims.
 *
 * Per batch: open intents (source id + identity) in the state, store on the
 * target (durable when it returns), then commit the pairs and close the
 * intents in one transaction — the same transaction that opens the next
 * batch's intents, before that batch is stored (one fsync per batch, not
 * two; the last batch's pairs are committed alone). A crash before the
 * pairs are committed leaves open intents: the next run lists the target
 * in full and pairs what arrived by identity. A message the target refuses, or cannot find after it said OK,
 * fails alone (PartialStoreError) and is reported skipped, by name: the rest
 * of its batch is paired and the copy goes on. A store that fails as a whole is not retried here
 * (part of it may have landed): the folder reports the error and the next
 * run pairs what landed.
 */
const FIRST_BATCH_MESSAGES = 16;

export async function copySteps(job: CopyJob): Promise<void> {
  const to: Side = job.from === 'left' ? 'right' : 'left';
  let storing: Promise<void> = Promise.resolve();
  let failed = false;
  const fail = (error: unknown) => {
    failed = true;
    job.onError(error);
  };

  const pairs = new PairsToCommit(job, to);
  const pending = job.steps;
  // Start small and double while batches fit: a server lying about sizes makes the source read and drop
  // the rest of a batch's answer, so the first batch must not be the whole folder.
  let limit = Math.min(job.batchMessages, FIRST_BATCH_MESSAGES);
  while (pending.length > 0) {
    const batch = nextBatch(pending, job, limit);
    const ids = batch.map((step) => step.copy!.id);
    if (job.throttle) await job.throttle(ids.length, ids.reduce((sum, id) => sum + (job.sizes.get(id) ?? 0), 0));
    const fetched = await fetchAvailable(job, ids).catch(fail);
    await storing;
    if (failed || !fetched) break;
    // Past maxBytes the source stops keeping bodies (the server sent more than it claimed): what it did
    // not get to goes back first, in smaller batches until batches fit again.
    const received = fetched.reduce((sum, message) => sum + message.body.byteLength, 0);
    const got = new Set(fetched.map((message) => message.id));
    const missed = received > job.batchBytes ? batch.filter((step) => !got.has(step.copy!.id)) : [];
    pending.unshift(missed);
    limit = missed.length > 0 ? Math.max(1, Math.floor((batch.length - missed.length) / 2)) : Math.min(job.batchMessages, limit * 2);
    storing = storeBatch(job, to, pairs, batch, fetched).catch(fail);
  }
  await storing;
  await pairs.commit().catch(fail);
}

/** The batch's bodies; a message the source lists but cannot give is reported skipped, and the others are fetched again. */
async function fetchAvailable(job: CopyJob, ids: string[]): Promise<FetchedMessage[]> {
  let wanted = ids;
  for (;;) {
    try {
      return await retrying(() => job.source.fetch(job.folders.from, wanted, { maxBytes: job.batchBytes, partBytes: job.partBytes }));
    } catch (error) {
      const failures = (error as Partial<MessagesUnavailableError>).failures;
      const failed = new Set(failures?.map((failure) => failure.id));
      const rest = wanted.filter((id) => !failed.has(id));
      if ((error as { code?: unknown }).code !== 'EUNAVAILABLE' || !failures || rest.length === wanted.length) throw error;
      job.onSkipped(failures.map(({ id, reason }) => ({ folder: job.folders.from.name, id, reason })));
      if (rest.length === 0) return [];
      wanted = rest;
    }
  }
}

async function storeBatch(job: CopyJob, to: Side, pairs: PairsToCommit, batch: PlanStep[], fetched: FetchedMessage[]): Promise<void> {
  const bodies = new Map(fetched.map((message) => [message.id, message]));
  // A message expunged between the scan and the fetch (the source checked it is gone) is simply not copied.
  const present = batch.filter((step) => bodies.has(step.copy!.id));
  const whole = present.filter((step) => !bodies.get(step.copy!.id)!.partial);
  if (whole.length > 0) await storeWhole(job, to, pairs, whole, bodies);
  for (const step of present) {
    const message = bodies.get(step.copy!.id)!;
    if (message.partial) await copyInParts(job, to, pairs, step, message, message.partial.size);
  }
}

/** Per batch: intents opened (with the previous batch's pairs), the messages stored in one call, the pairs left to commit with the next intents. */
async function storeWhole(job: CopyJob, to: Side, pairs: PairsToCommit, present: PlanStep[], bodies: Map<string, FetchedMessage>): Promise<void> {
  const messages = present.map((step) => bodies.get(step.copy!.id)!);
  // Computed from the body only when the plan does not know it (no Message-ID): then the target takes it too (NewMessage.identity).
  const fromBodies = present.map((step, i) => (knownIdentity(step) === undefined ? identityFromBody(messages[i]!.body).identity : undefined));
  const copied = present.map((step, i) => ({
    step,
    identity: knownIdentity(step) ?? fromBodies[i]!,
    bytes: messages[i]!.body.byteLength,
    // Read now: the bodies are transferred to the target's thread by store.
    label: messageLabel(messages[i]!.body),
  }));
  const intentIds = await pairs.commit(copied.map(({ step, identity }) => ({ from: job.from, sourceId: step.copy!.id, identity })));
  let newIds: (string | null)[];
  let failures: StoreFailure[] = [];
  let noSpace: string | undefined;
  try {
    // The bodies are transferred to the target's thread (not usable here afterwards), or handed over as they are on a direct call.
    newIds = await job.target.store(
      job.folders.to.name,
      present.map((step, i) => {
        const size = job.sizes.get(step.copy!.id);
        return { body: messages[i]!.body, flags: step.copy!.flags, internalDate: messages[i]!.internalDate, ...(size !== undefined ? { size } : {}), ...(fromBodies[i] ? { identity: fromBodies[i] } : {}) };
      }),
    );
  } catch (error) {
    // One message refused, or not found after the server said OK: the others are stored all the same.
    if (!(error instanceof PartialStoreError)) throw error;
    newIds = error.stored;
    failures = error.failures;
    noSpace = error.noSpace;
  }
  // A full store: what landed is paired, and the one error says the rest waits for the next run (no skipped line each).
  recordStored(job, pairs, copied, intentIds, newIds, noSpace ? failures.filter((failure) => failure.unfound) : failures);
  if (noSpace) throw new NoSpaceError(noSpace);
}

/**
 * Copies one large message part by part, so that it is never held whole:
 * each part read from the source (FetchOptions.partBytes) goes to a draft
 * on the target, its identity computed on the way (from the header alone
 * when it has a Message-ID). Then, in the order a batch keeps, the intent is
 * opened, the draft made durable (finishStore), the pair committed. A
 * message the source cannot give in full is reported skipped, its draft
 * dropped.
 */
async function copyInParts(job: CopyJob, to: Side, pairs: PairsToCommit, step: PlanStep, first: FetchedMessage, claimedSize: number): Promise<void> {
  const { id, flags } = step.copy!;
  const builder = knownIdentity(step) === undefined ? new IdentityBuilder() : undefined;
  const label = messageLabel(first.body);
  const skip = (reason: string) => job.onSkipped([{ folder: job.folders.from.name, id, reason: `${label ? `${label}: ` : ''}${reason}` }]);
  const draft = await job.target.beginStore(job.folders.to.name, { flags, internalDate: first.internalDate, size: claimedSize });
  let bytes = 0;
  try {
    for (let part = first.body; ; ) {
      const length = part.byteLength;
      builder?.update(part);
      // After this call the part may be detached (transferred to the target's thread).
      if (length > 0) await job.target.storePart(draft, part);
      bytes += length;
      if (length < job.partBytes) break;
      part = await retrying(() => job.source.fetchPart(job.folders.from, id, bytes, job.partBytes));
    }
  } catch (error) {
    await job.target.abandonStore(draft).catch(() => undefined);
    if ((error as { code?: unknown }).code !== 'EUNAVAILABLE') throw error;
    skip(((error as MessagesUnavailableError).failures ?? [])[0]?.reason ?? (error as Error).message);
    return;
  }
  if (bytes < claimedSize) {
    await job.target.abandonStore(draft);
    skip(`the server sent ${bytes} of its ${claimedSize} bytes (RFC822.SIZE)`);
    return;
  }
  const identity = knownIdentity(step) ?? builder!.digest().identity;
  const intentIds = await pairs.commit([{ from: job.from, sourceId: id, identity }]);
  let newIds: (string | null)[];
  let failures: StoreFailure[] = [];
  try {
    newIds = [await job.target.finishStore(draft)];
  } catch (error) {
    if (!(error instanceof PartialStoreError)) throw error;
    newIds = error.stored;
    failures = error.failures;
  }
  recordStored(job, pairs, [{ step, identity, bytes, label }], intentIds, newIds, failures);
}

/** The identity the plan already knows for a step's message. */
function knownIdentity(step: PlanStep): string | undefined {
  return step.becomes?.identity ?? step.copy!.identity;
}

/**
 * After a store: the pairs of what was stored handed to `pairs`, to be
 * committed with their intents closed; once they are, the batch reported,
 * and what was not stored reported skipped. A message not stored keeps its
 * intent open: the next run lists the target in full and looks for it by
 * identity first.
 */
function recordStored(
  job: CopyJob,
  pairs: PairsToCommit,
  copied: { step: PlanStep; identity: string; bytes: number; label: string }[],
  intentIds: number[],
  newIds: (string | null)[],
  failures: StoreFailure[],
): void {
  // One that most likely landed changed beyond recognition has its intent marked: it is not copied again (see SyncFolder).
  const stored = copied.flatMap((item, i) => (newIds[i] ? [{ ...item, i, id: newIds[i] }] : []));
  const unfound = failures.filter((failure) => failure.unfound);
  const change = {
    removePairs: stored.flatMap(({ step }) => (step.was ? [step.was.left !== undefined ? { left: step.was.left } : { right: step.was.right! }] : [])),
    upsertPairs: stored.map(({ step, identity, id }) => ({ ...step.becomes!, [pairs.to]: id, identity })),
    closeIntents: stored.map(({ i }) => intentIds[i]!),
    ...(unfound.length ? { markUnfound: unfound.map(({ index }) => intentIds[index]!) } : {}),
  };
  pairs.add(change, (refuted) => {
    const kept = stored.filter(({ id }) => !refuted.has(id));
    job.onBatch(
      kept.map(({ step, id, identity }) => ({ id, flags: step.copy!.flags, sourceId: step.copy!.id, identity })),
      kept.reduce((sum, { bytes }) => sum + bytes, 0),
    );
    const skipped = (i: number, why: string): SkippedItem => ({
      folder: job.folders.from.name,
      id: copied[i]!.step.copy!.id,
      reason: `${copied[i]!.label ? `${copied[i]!.label}: ` : ''}not copied to "${job.folders.to.name}": ${why}; the next run tries again`,
    });
    const notStored = [
      ...failures.map(({ index, reason, unfound }) =>
        unfound ? unfoundItem(job.folders.from.name, copied[index]!.step.copy!.id, copied[index]!.label, job.folders.to.name, reason) : skipped(index, reason),
      ),
      ...stored.filter(({ id }) => refuted.has(id)).map(({ i, id }) => skipped(i, `the target said it got id ${id}, which holds another message`)),
    ];
    if (notStored.length) job.onSkipped(notStored);
  });
}

/** What the commit of a stored batch's pairs changes. */
type PairsChange = Required<Pick<StateCommit, 'removePairs' | 'upsertPairs' | 'closeIntents'>> & Pick<StateCommit, 'markUnfound'>;

/**
 * The pairs of the last stored batch, not committed yet: they go in the
 * transaction that opens the next batch's intents (`commit`), which comes
 * before that batch is stored, or alone at the end. The order of what is
 * durable stays that of DESIGN §5: a batch's intents before its store, its
 * pairs after it.
 */
class PairsToCommit {
  private waiting: { change: PairsChange; committed(refuted: Set<string>): void } | undefined;

  constructor(
    private readonly job: CopyJob,
    readonly to: Side,
  ) {}

  /** A stored batch's pairs, for the next commit; `committed` runs once they are. */
  add(change: PairsChange, committed: (refuted: Set<string>) => void): void {
    this.waiting = { change, committed };
  }

  /** Commits the pairs waiting (if any) with `openIntents` in one transaction; returns the new intents' ids. */
  async commit(openIntents: NewIntent[] = []): Promise<number[]> {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return openIntents.length ? (await this.job.state.commit(this.job.folderPairId, { openIntents })).intentIds : [];
    const { refuted, intentIds } = await commitPairs(this.job, this.to, waiting.change, openIntents);
    waiting.committed(refuted);
    return intentIds;
  }
}

/**
 * Commits the pairs of a stored batch, with `openIntents` (the next
 * batch's). When a new pair takes an id another saved pair holds
 * (StateConflictError, nothing committed), the new claim is checked by
 * identity on the target: confirmed, the old pair is stale and dissolved
 * (its other message is re-paired by identity or copied on the next run);
 * refuted, the new pair is not saved and its intent stays open. Returns the
 * target ids refuted and the new intents' ids.
 */
async function commitPairs(job: CopyJob, to: Side, change: PairsChange, openIntents: NewIntent[]): Promise<{ refuted: Set<string>; intentIds: number[] }> {
  try {
    const { intentIds } = await job.state.commit(job.folderPairId, { ...change, openIntents });
    return { refuted: new Set(), intentIds };
  } catch (error) {
    if (!(error instanceof StateConflictError)) throw error;
    const contested = error.conflicts.map((conflict) => conflict.pair[to]!);
    const found = new Map((await job.target.identify(job.folders.to, contested)).map((message) => [message.id, message.identity]));
    const confirmed = error.conflicts.filter((conflict) => found.get(conflict.pair[to]!) === conflict.pair.identity);
    const refuted = new Set(error.conflicts.filter((conflict) => !confirmed.includes(conflict)).map((conflict) => conflict.pair[to]!));
    const dissolved = confirmed.flatMap((conflict) => conflict.holders.map((holder) => (holder.left !== undefined ? { left: holder.left } : { right: holder.right! })));
    job.log?.warn({ folder: job.folders.to.name, dissolved, refuted: [...refuted] }, 'a new pair took ids saved pairs held: the ones confirmed by identity replace them');
    const keep = change.upsertPairs.map((pair) => !refuted.has(pair[to]!));
    const { intentIds } = await job.state.commit(job.folderPairId, {
      ...change,
      removePairs: [...change.removePairs, ...dissolved],
      upsertPairs: change.upsertPairs.filter((_, i) => keep[i]),
      closeIntents: change.closeIntents.filter((_, i) => keep[i]),
      openIntents,
    });
    return { refuted, intentIds };
  }
}

/** Takes the next batch off `pending`: at most `limit` messages and about `batchBytes` bytes by their claimed sizes. */
function nextBatch(pending: CopyQueue, job: CopyJob, limit: number): PlanStep[] {
  let count = 0;
  let bytes = 0;
  for (; count < pending.length; count++) {
    const size = job.sizes.get(pending.idAt(count)) ?? 0;
    if (count > 0 && (count >= limit || bytes + size > job.batchBytes)) break;
    bytes += size;
  }
  return pending.take(0, count);
}
