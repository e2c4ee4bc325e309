/**
 * What a sync may do, in mbsync's vocabulary: per direction, which kinds of
 * change propagate (`new` messages, `gone` messages, `flags` changes), and
 * per side whether messages flagged \Deleted are expunged.
 *
 * 'left' is mbsync's far side (the server), 'right' its near side:
 * `pull` is left -> right, `push` is right -> left.
 */
import { ConfigError } from '../../api/errors.js';
import type { Side } from '../../api/types.js';

export type SyncOperation = 'new' | 'gone' | 'flags';

export const SYNC_OPERATIONS: readonly SyncOperation[] = ['new', 'gone', 'flags'];

export interface SyncPolicy {
  /** What propagates from left to right (mbsync: Pull). */
  readonly toRight: ReadonlySet<SyncOperation>;
  /** What propagates from right to left (mbsync: Push). */
  readonly toLeft: ReadonlySet<SyncOperation>;
  /** Per side: delete the messages whose flags include \Deleted (mbsync: Expunge). */
  readonly expunge: Readonly<Record<Side, boolean>>;
  /**
   * Where flags flow one way only: true (`sync`, as mbsync's Pull or Push),
   * the receiving side gets the sender's flag changes and keeps its own,
   * which never reach the sender; false or absent (`mirror`, `migrate`),
   * it holds the sender's flags, and a change made there is set back.
   */
  readonly keepOwnFlags?: boolean;
}

/** The operations that may change `side`: what propagates toward it. */
export function towards(policy: SyncPolicy, side: Side): ReadonlySet<SyncOperation> {
  return side === 'left' ? policy.toLeft : policy.toRight;
}

/** False when a plan under this policy never acts on `side`: the engine may open it read-only. */
export function writesTo(policy: SyncPolicy, side: Side): boolean {
  return towards(policy, side).size > 0 || policy.expunge[side];
}

/** `mirror`: the right side follows the left one; nothing is ever done on the left. */
export function mirrorPolicy(): SyncPolicy {
  return parseSyncPolicy(['pull']);
}

/** `sync`: everything propagates both ways (mbsync's default, `full`). */
export function twoWayPolicy(): SyncPolicy {
  return parseSyncPolicy(['full']);
}

/**
 * `migrate`: copies new messages to the right and keeps their flags in step
 * on later runs (people keep using the old server while they migrate);
 * deletions on the source are not propagated, like imapsync's default.
 */
export function migratePolicy(): SyncPolicy {
  return parseSyncPolicy(['pull', 'new', 'flags']);
}

const DIRECTIONS = { pull: 'toRight', push: 'toLeft' } as const;
type Direction = keyof typeof DIRECTIONS;

/** mbsync 1.4 called `gone` `delete`. */
const OPERATION_WORDS: Readonly<Record<string, SyncOperation>> = { new: 'new', gone: 'gone', delete: 'gone', flags: 'flags' };

const EXPUNGE_WORDS: Readonly<Record<string, Record<Side, boolean>>> = {
  none: { left: false, right: false },
  left: { left: true, right: false },
  far: { left: true, right: false },
  right: { left: false, right: true },
  near: { left: false, right: true },
  both: { left: true, right: true },
};

const SYNC_HELP =
  "use 'full', 'none', a direction ('pull', 'push'), operations ('new', 'gone', 'flags'), " +
  "both ('pull new,flags' = pull new messages and flag changes) or joined forms ('pull-new', 'pushflags')";

/**
 * Parses mbsync's `Sync` words (case-insensitive, separated by spaces or
 * commas), e.g. `['pull', 'new']`, `['new,flags']`, `['pull-new', 'push']`:
 * - `full` (or `all`): everything both ways; `none` (or `noop`): nothing.
 *   Each must stand alone.
 * - directions `pull`, `push` and operations `new`, `gone` (or `delete`),
 *   `flags` combine: the listed operations go in the listed directions; no
 *   operation means all of them, no direction means both.
 * - joined forms (`pull-new`, `pushflags`) add one operation in one direction.
 *
 * `expunge` is mbsync's `Expunge`: `none`, `left` (`far`), `right` (`near`)
 * or `both`. Throws a ConfigError naming the word it does not understand.
 */
export function parseSyncPolicy(words: readonly string[], expunge = 'none'): SyncPolicy {
  const expungeSides = EXPUNGE_WORDS[expunge.trim().toLowerCase()];
  if (!expungeSides) throw new ConfigError(`unknown expunge value "${expunge}": use 'none', 'left' (far), 'right' (near) or 'both'`);
  const tokens = words.flatMap((word) => word.toLowerCase().split(/[\s,]+/)).filter((token) => token !== '');
  if (tokens.length === 0) throw new ConfigError(`no sync operation given: ${SYNC_HELP}`);

  const toRight = new Set<SyncOperation>();
  const toLeft = new Set<SyncOperation>();
  const policy = { toRight, toLeft, expunge: expungeSides };
  const standalone = tokens.find((token) => ['full', 'all', 'none', 'noop'].includes(token));
  if (standalone !== undefined) {
    if (tokens.length > 1) throw new ConfigError(`sync operation "${standalone}" cannot be combined with other words (${tokens.join(' ')})`);
    if (standalone === 'full' || standalone === 'all') {
      for (const operation of SYNC_OPERATIONS) {
        toRight.add(operation);
        toLeft.add(operation);
      }
    }
    return policy;
  }

  const directions = new Set<Direction>();
  const operations = new Set<SyncOperation>();
  for (const token of tokens) {
    const joined = /^(pull|push)-?(new|gone|delete|flags)$/.exec(token);
    if (joined) policy[DIRECTIONS[joined[1] as Direction]].add(OPERATION_WORDS[joined[2]!]!);
    else if (token === 'pull' || token === 'push') directions.add(token);
    else if (Object.hasOwn(OPERATION_WORDS, token)) operations.add(OPERATION_WORDS[token]!);
    else throw new ConfigError(`unknown sync operation "${token}": ${SYNC_HELP}`);
  }
  if (directions.size === 0 && operations.size === 0) return policy;
  for (const direction of directions.size > 0 ? directions : (['pull', 'push'] as const)) {
    for (const operation of operations.size > 0 ? operations : SYNC_OPERATIONS) policy[DIRECTIONS[direction]].add(operation);
  }
  return policy;
}
