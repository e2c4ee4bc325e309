/**
 * The sync state store (DESIGN §4-§5): what the last sync of each folder pair
 * saved, so that the next one can plan three-way.
 *
 * The store runs in its own worker and is called over comlink, so every
 * method takes and returns plain, structured-cloneable data, in batches.
 * Optional fields that have no value are absent, never `undefined`.
 */
import type { Identity, MessageId, Side } from '../types.js';

/** One left folder synced with one right folder, plus what each side's last scan saved. */
export interface FolderPairRecord {
  id: number;
  /** Canonical folder names. */
  left: string;
  right: string;
  leftUidValidity?: string;
  rightUidValidity?: string;
  /** Opaque scan checkpoints (see `ScanResult.checkpoint`). */
  leftCheckpoint?: string;
  rightCheckpoint?: string;
}

/**
 * One message known on both sides at the last sync, with the flags both
 * sides had then. Within a folder pair a left id belongs to at most one pair,
 * and so does a right id. A side's id is missing after `forgetSide` (its
 * UIDVALIDITY changed) until the engine re-pairs the message by identity.
 */
export interface MessagePair {
  left?: MessageId;
  right?: MessageId;
  /** The flags the sync agreed on: what each side holds, but for `notHeld`. */
  flags: readonly string[];
  /**
   * Flags of `flags` a side does not hold because it cannot (a Maildir folder
   * whose 26 keyword letters are taken): that side holds `flags` minus
   * these. The next sync does not read their absence there as a removal.
   * Absent when both sides hold every flag (the common case); a side is
   * present only with at least one flag.
   */
  notHeld?: Partial<Record<Side, string[]>>;
  identity?: Identity;
}

/**
 * A copy under way: recorded before the copy starts, closed in the same
 * commit that records the resulting pair. An intent still open at start-up
 * is the trace of a crash: the engine looks for its identity on the target.
 */
export interface Intent {
  id: number;
  folderPairId: number;
  /** The side copied from. */
  from: Side;
  sourceId: MessageId;
  identity?: Identity;
  /** Milliseconds since the epoch. */
  createdAt: number;
  /**
   * Set when the copy was sent and the target said it stored it, but no
   * message there has its identity while one it did not have before matches
   * nothing sent (the server changed the message beyond recognition): when,
   * in milliseconds since the epoch. Not the trace of a crash: the engine does
   * not copy the message again blindly, it reports it on every run.
   */
  unfoundAt?: number;
}

export type NewIntent = Omit<Intent, 'id' | 'folderPairId' | 'createdAt' | 'unfoundAt'>;

/** The ids naming a pair to remove: the pair holding this left id or this right id. */
export interface PairKey {
  left?: MessageId;
  right?: MessageId;
}

export interface Checkpoints {
  leftUidValidity?: string;
  rightUidValidity?: string;
  leftCheckpoint?: string;
  rightCheckpoint?: string;
}

/**
 * A batch of changes to one folder pair, applied in one transaction: all of
 * it or, if anything throws, none of it. Parts are applied in this order:
 * removePairs, upsertPairs, closeIntents, openIntents, markUnfound, checkpoints.
 */
export interface StateCommit {
  /**
   * Removes every pair holding the given left id or the given right id.
   * Unknown ids are ignored. A key with neither id is refused (TypeError).
   */
  removePairs?: PairKey[];
  /**
   * Writes each pair as a whole record, replacing the saved pair with the
   * same ids, or a half pair holding one of them (so a re-paired half pair
   * is merged). A pair never silently replaces another: when an id is held
   * by a pair with another partner (not removed by `removePairs` first),
   * the whole commit is refused with StateConflictError, which names the
   * pairs, and the caller decides. Pass the identity again on updates: it
   * is not kept from the replaced record. A pair with neither id is refused
   * (TypeError). Applied in order.
   */
  upsertPairs?: MessagePair[];
  /** Ids of intents to close. Ids of intents already closed are ignored. */
  closeIntents?: number[];
  /** Intents to open; `commit` returns their ids, in order. */
  openIntents?: NewIntent[];
  /** Ids of open intents to mark `unfoundAt` (now); ids of intents closed are ignored, a mark already set is kept. */
  markUnfound?: number[];
  /** Fields present are set; fields absent are kept. */
  checkpoints?: Checkpoints;
}

/**
 * Like a Repository (see its comment on direct calls), a state store returns
 * copies of what it keeps and keeps copies of what it is given: an engine on
 * the same worker calls it directly, without the clone a channel makes.
 */
export interface StateStore {
  /** Every folder pair, by id. */
  folderPairs(): Promise<FolderPairRecord[]>;
  /** The pair of these two folders, created empty if it does not exist yet. */
  ensureFolderPair(left: string, right: string): Promise<FolderPairRecord>;
  /** Removes a folder pair with its pairs and intents. Unknown ids are ignored. Ids are never reused. */
  removeFolderPair(id: number): Promise<void>;
  /**
   * Every pair of a folder pair, in no particular order.
   * This and the methods below throw a RangeError for an unknown folder pair.
   */
  pairs(folderPairId: number): Promise<MessagePair[]>;
  /** The open intents of a folder pair, oldest first. */
  intents(folderPairId: number): Promise<Intent[]>;
  /** Applies a batch atomically (see `StateCommit`); returns the ids of the intents it opened. */
  commit(folderPairId: number, change: StateCommit): Promise<{ intentIds: number[] }>;
  /**
   * That side's UIDVALIDITY changed: drop that side's ids from every pair
   * (keeping identity and flags, for re-pairing by identity), its UIDVALIDITY
   * and its checkpoint. A pair left with no id at all is removed. Open
   * intents are kept; the `sourceId` of one copied from that side is stale,
   * its identity is not.
   */
  forgetSide(folderPairId: number, side: Side): Promise<void>;
  /** Releases the store (and, for SQLite, the account lock). */
  close(): Promise<void>;
}
