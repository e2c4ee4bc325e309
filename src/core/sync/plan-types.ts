/**
 * The sync planner's input and output (DESIGN §4). The planner is pure: the
 * engine gathers the input (scans, saved pairs, identities), executes the
 * plan's actions in batches and commits each step's pair once its actions
 * are durable.
 */
import type { MessagePair } from '../../api/state/types.js';
import type { FlagDelta, Identity, MessageId, MessageMeta, Side } from '../../api/types.js';
import type { SyncPolicy } from './policy.js';

/**
 * A pair saved at the last sync: the state store's record. A missing side id
 * means that side's ids were invalidated (UIDVALIDITY change): the planner
 * finds the message again by identity.
 *
 * A pair may keep the id of a message that no longer exists: that side's
 * deletion was not propagated (the policy does not allow `gone` toward the
 * other side), and the kept id is what stops the survivor from being copied
 * back as new (mbsync's "orphan"). IMAP UIDs and Maildir names are never
 * reused, so a kept id never names another message.
 */
export type SavedPair = MessagePair;

/** Known identities by message id, per side. */
export type Identities = Readonly<Record<Side, ReadonlyMap<MessageId, Identity>>>;

export interface PlanInput {
  saved: readonly SavedPair[];
  /**
   * The full current view of each side: every message, with its flags (from
   * a full scan, or from the saved pairs plus a scan's changes and vanished).
   */
  left: readonly MessageMeta[];
  right: readonly MessageMeta[];
  /** Identities of (at least) the messages `needIdentities` asked for; none when it asked for none. */
  identities?: Identities;
  policy: SyncPolicy;
  /**
   * Flags a side cannot hold (in a Maildir folder: keywords beyond its 26
   * letters, flags no file name can carry). They are never set on that side,
   * their absence there is neither an addition nor a removal, and the pairs
   * record them in `notHeld`. None when absent.
   */
  cannotHold?: Partial<Record<Side, ReadonlySet<string>>>;
}

/** Copy a message to the other side with these flags. */
export interface CopyAction {
  from: Side;
  id: MessageId;
  /** The flags the copy gets: the source's, but those the target cannot hold (the pair's `notHeld`). */
  flags: readonly string[];
  /** When known. The engine computes it from the fetched body otherwise, and saves it in the pair. */
  identity?: Identity;
}

export interface FlagChange extends FlagDelta {
  side: Side;
}

export interface MessageRef {
  side: Side;
  id: MessageId;
}

/**
 * Everything that happens to one message (or one saved pair): the actions on
 * the stores, and the pair to save once they are all done.
 *
 * To commit a step: remove `was` (if any: `removePairs: [was]`), then save
 * `becomes` (if any: `upsertPairs: [becomes]`), in one state commit. After a
 * copy, `becomes` lacks the target side's id: the engine sets it to the id
 * `store` returned (and the identity, if `becomes` has none).
 * A step whose actions failed is not committed: the next run plans it again.
 */
export interface PlanStep {
  /** The saved pair this step replaces or removes: the very object from `PlanInput.saved`. */
  was?: SavedPair;
  /** The pair to save once the actions are done; absent: `was` is removed. */
  becomes?: SavedPair;
  copy?: CopyAction;
  setFlags: FlagChange[];
  delete: MessageRef[];
}

export interface SyncPlan {
  /** Steps are independent of each other: the engine may batch and reorder them. */
  steps: PlanStep[];
}
