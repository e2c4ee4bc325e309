import type { Remote } from '../app.js';
import type { StateStore } from '../state/types.js';
import type { FetchedMessage, FolderRef, Repository, Side } from '../types.js';
import type { PlanStep } from '../../core/sync/index.js';
import { identityFromBody } from '../../core/identity.js';
import type { MessagesUnavailableError } from '../errors.js';
import { retrying } from './retrying.js';

export interface CopyJob {
  /** Steps that each copy one message from `from` to the other side. */
  steps: PlanStep[];
  from: Side;
  /** The source folder under the uidValidity its ids were listed with, and the target folder. */
  folders: { from: FolderRef; to: string };
  folderPairId: number;
  /** Sizes of the source's messages, to cut batches by bytes. */
  sizes: ReadonlyMap<string, number>;
  source: Remote<Repository>;
  target: Remote<Repository>;
  state: Remote<StateStore>;
  batchMessages: number;
  batchBytes: number;
  /** A batch landed on the target: the new messages' ids and flags, and their bytes. */
  onBatch(stored: { id: string; flags: string[] }[], bytes: number): void;
  /** Messages the source lists but could not give (MessagesUnavailableError): not copied this run, the rest of their batch is. */
  onSkipped(failures: { id: string; reason: string }[]): void;
  onError(error: unknown): void;
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
 * intents in one transaction. A crash between the two commits leaves open
 * intents: the next run lists the target in full and pairs what arrived by
 * identity. A failed store is not retried here (part of it may have landed):
 * the folder reports the error and the next run pairs what landed.
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

  const pending = [...job.steps];
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
    pending.unshift(...missed);
    limit = missed.length > 0 ? Math.max(1, Math.floor((batch.length - missed.length) / 2)) : Math.min(job.batchMessages, limit * 2);
    storing = storeBatch(job, to, batch, fetched).catch(fail);
  }
  await storing;
}

/** The batch's bodies; a message the source lists but cannot give is reported skipped, and the others are fetched again. */
async function fetchAvailable(job: CopyJob, ids: string[]): Promise<FetchedMessage[]> {
  let wanted = ids;
  for (;;) {
    try {
      return await retrying(() => job.source.fetch(job.folders.from, wanted, { maxBytes: job.batchBytes }));
    } catch (error) {
      const failures = (error as Partial<MessagesUnavailableError>).failures;
      const failed = new Set(failures?.map((failure) => failure.id));
      const rest = wanted.filter((id) => !failed.has(id));
      if ((error as { code?: unknown }).code !== 'EUNAVAILABLE' || !failures || rest.length === wanted.length) throw error;
      job.onSkipped(failures);
      if (rest.length === 0) return [];
      wanted = rest;
    }
  }
}

async function storeBatch(job: CopyJob, to: Side, batch: PlanStep[], fetched: FetchedMessage[]): Promise<void> {
  const bodies = new Map(fetched.map((message) => [message.id, message]));
  // A message expunged between the scan and the fetch (the source checked it is gone) is simply not copied.
  const present = batch.filter((step) => bodies.has(step.copy!.id));
  if (present.length === 0) return;
  const messages = present.map((step) => bodies.get(step.copy!.id)!);
  const identities = present.map((step, i) => step.becomes?.identity ?? step.copy!.identity ?? identityFromBody(messages[i]!.body).identity);
  const bytes = messages.reduce((sum, message) => sum + message.body.byteLength, 0);

  const { intentIds } = await job.state.commit(job.folderPairId, {
    openIntents: present.map((step, i) => ({ from: job.from, sourceId: step.copy!.id, identity: identities[i]! })),
  });
  // The bodies are transferred to the target's thread: not usable here afterwards.
  const newIds = await job.target.store(
    job.folders.to,
    present.map((step, i) => ({ body: messages[i]!.body, flags: step.copy!.flags, internalDate: messages[i]!.internalDate })),
  );
  await job.state.commit(job.folderPairId, {
    removePairs: present.flatMap((step) => (step.was ? [step.was.left !== undefined ? { left: step.was.left } : { right: step.was.right! }] : [])),
    upsertPairs: present.map((step, i) => ({
      ...step.becomes!,
      [to]: newIds[i]!,
      identity: identities[i]!,
    })),
    closeIntents: intentIds,
  });
  job.onBatch(present.map((step, i) => ({ id: newIds[i]!, flags: step.copy!.flags })), bytes);
}

/** Takes the next batch off `pending`: at most `limit` messages and about `batchBytes` bytes by their claimed sizes. */
function nextBatch(pending: PlanStep[], job: CopyJob, limit: number): PlanStep[] {
  let count = 0;
  let bytes = 0;
  for (const step of pending) {
    const size = job.sizes.get(step.copy!.id) ?? 0;
    if (count > 0 && (count >= limit || bytes + size > job.batchBytes)) break;
    count++;
    bytes += size;
  }
  return pending.splice(0, count);
}
