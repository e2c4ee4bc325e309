import type { PlanStep } from '../../core/sync/index.js';
import type { FolderRef, Side } from '../types.js';
import type { LandedCopy } from './copy-steps.js';
import { CopyQueue } from './copy-queue.js';
import type { ReportedError, SkippedItem } from './folder-report.js';

/**
 * Copies of one folder lent to an idle engine, which copies them with its
 * own connections (intents, stores and commits per batch as copySteps does)
 * and hands back a LentOutcome.
 */
export interface LentCopies {
  from: Side;
  folders: { from: FolderRef; to: FolderRef };
  folderPairId: number;
  steps: PlanStep[];
  /** The sources' claimed sizes of these steps' messages, by id. */
  sizes: [string, number][];
}

/** What became of lent copies: what a copy of the owner's own would have reported. */
export interface LentOutcome {
  stored: LandedCopy[];
  bytes: number;
  skipped: SkippedItem[];
  errors: ReportedError[];
}

/** A lent chunk holds at most this many copy batches' worth... */
const MAX_CHUNK_BATCHES = 4;
/** ...and is not cut below this many messages (the copy starts small: see copySteps). */
const MIN_CHUNK_MESSAGES = 16;

/**
 * The copies of one side of a folder still to do, shared by the engine
 * syncing it (which takes batches off the front, in copySteps) with idle
 * engines (which borrow chunks off the end). A chunk is about the work left
 * divided among those copying it, so that the last chunks are small and
 * no engine ends long after the others.
 */
export class SharedCopies {
  /** The steps not taken yet: copySteps takes off this very queue. */
  readonly pending: CopyQueue;
  /** Chunks lent and not back yet. */
  private lent = 0;
  private whenSettled: (() => void) | undefined;

  constructor(
    private readonly base: Omit<LentCopies, 'steps' | 'sizes'>,
    pending: CopyQueue,
    /** The sources' claimed sizes of the copies' messages, by id. */
    readonly sizes: ReadonlyMap<string, number>,
    private readonly batch: { messages: number; bytes: number },
    private readonly merge: (outcome: LentOutcome) => void,
  ) {
    this.pending = pending;
  }

  /** The side copied from. */
  get from(): Side {
    return this.base.from;
  }

  /** A chunk off the end of what is left, or undefined when too little is left to share. */
  lend(): LentCopies | undefined {
    if (this.pending.length < 2 * MIN_CHUNK_MESSAGES) return undefined;
    let left = 0;
    for (let i = 0; i < this.pending.length; i++) left += this.sizes.get(this.pending.idAt(i)) ?? 0;
    const share = Math.min(MAX_CHUNK_BATCHES * this.batch.bytes, left / (this.lent + 2));
    const most = Math.min(MAX_CHUNK_BATCHES * this.batch.messages, Math.floor(this.pending.length / 2));
    let count = 0;
    let bytes = 0;
    for (let i = this.pending.length - 1; i >= 0 && count < most; i--) {
      const size = this.sizes.get(this.pending.idAt(i)) ?? 0;
      if (count >= MIN_CHUNK_MESSAGES && bytes + size > share) break;
      count++;
      bytes += size;
    }
    const steps = this.pending.take(this.pending.length - count, count);
    this.lent++;
    return { ...this.base, steps, sizes: steps.map((step) => [step.copy!.id, this.sizes.get(step.copy!.id) ?? 0]) };
  }

  /** A lent chunk is done: its outcome counts as the owner's own. A failure stops this side's copy, as one of the owner's own would. */
  returned(outcome: LentOutcome): void {
    this.merge(outcome);
    if (outcome.errors.length) this.stop();
    this.lent--;
    if (this.lent === 0) this.whenSettled?.();
  }

  /** Nothing more is taken or lent (a copy failed). */
  stop(): void {
    this.pending.clear();
  }

  /** Resolves once every lent chunk is back. */
  settled(): Promise<void> {
    if (this.lent === 0) return Promise.resolve();
    return new Promise((resolve) => (this.whenSettled = resolve));
  }
}
