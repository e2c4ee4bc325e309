/**
 * The three-way sync planner (DESIGN §4): from the pairs saved at the last
 * sync, the full current view of both sides and the policy, the steps that
 * bring the two sides together. Pure: no I/O, same input, same plan.
 *
 * Decisions, beyond DESIGN §4:
 * - Deletion wins over flag changes: a message deleted on one side is
 *   deleted on the other (if `gone` propagates) even if its flags changed
 *   there since the last sync. Flags are not content; nothing is lost.
 * - A side's flag changes count only if they may propagate. Two-way, both
 *   sides' deltas merge; one-way (`mirror`), the target follows the source
 *   exactly and local flag changes on the target are overwritten: the
 *   target mirrors the source, and a change that can never reach the source
 *   would otherwise diverge for ever. With no `flags` either way, the saved
 *   flags stay as they were, so the changes sync once `flags` is enabled.
 * - A deletion that may not propagate leaves an orphan: the pair keeps the
 *   deleted message's id, so the survivor is never copied back.
 * - After a UIDVALIDITY change, a pair whose message is not found again by
 *   identity is not treated as deleted: the survivor counts as new (copied
 *   back if `new` allows, else left alone, unpaired). A UIDVALIDITY change
 *   often means a server restored or migrated; deleting on that evidence
 *   would spread a server-side loss to the other copy.
 * - A message whose flags include \Deleted is deleted on a side that
 *   expunges (the deletion then propagates per `gone`), and is not copied
 *   to a side that would expunge it at once.
 * - Duplicates (one identity, several messages on a side) pair one to one:
 *   saved pairs in their order, then unpaired messages, lowest id first.
 * - A flag a side cannot hold (`cannotHold`: a Maildir folder's keywords
 *   beyond its 26 letters) is never sent there, and its absence there is
 *   not a removal: the other side keeps it. The pair records it in
 *   `notHeld`, so the state says what each side really holds, and that
 *   side's changes are read against what it held. A flag it did not hold
 *   and can hold now (a letter freed) is set there like a missing flag, if
 *   flags flow to it; if not (a mirror's source), its lack is a removal.
 */
import type { Identity, MessageMeta, Side } from '../../api/types.js';
import { DELETED, flagDelta, mergeFlags, sameFlags, sorted } from './flags.js';
import { heldAtLastSync, makePair, otherSide, samePair, SIDES, sortOut } from './pairs.js';
import type { CopyAction, Identities, PlanInput, PlanStep, SavedPair, SyncPlan } from './plan-types.js';
import { towards, type SyncPolicy } from './policy.js';
import { UnpairedMessages } from './unpaired.js';

export function planSync(input: PlanInput): SyncPlan {
  return new Planner(input).plan();
}

/**
 * Where a pair's message stands on one side: found (at its saved id, or by
 * identity), 'vanished' (its id is gone: deleted there) or 'lost' (the side's
 * ids were invalidated and no unpaired message with its identity was found).
 */
type Presence = MessageMeta | 'vanished' | 'lost';

interface Located {
  was?: SavedPair;
  /** The flags both sides had at the last sync: none for a pair made now. */
  base: readonly string[];
  identity?: Identity;
  left: Presence;
  right: Presence;
}

const NO_IDENTITIES: Identities = { left: new Map(), right: new Map() };
const NO_FLAGS: ReadonlySet<string> = new Set();

class Planner {
  private readonly policy: SyncPolicy;
  private readonly identities: Identities;
  private readonly cannotHold: Record<Side, ReadonlySet<string>>;
  /** Per side, by the index of the pair in `saved`: the pair's message, if it is still at its saved id. */
  private readonly atSavedId: Record<Side, (MessageMeta | undefined)[]>;
  private readonly unpaired: Record<Side, UnpairedMessages>;
  private readonly steps: PlanStep[] = [];
  /** See copyFlags. */
  private readonly copyFlagLists = new Map<string, { flags: string[]; copied: string[]; notHeld?: Partial<Record<Side, string[]>> }>();

  constructor(private readonly input: PlanInput) {
    this.policy = input.policy;
    this.identities = input.identities ?? NO_IDENTITIES;
    this.cannotHold = { left: input.cannotHold?.left ?? NO_FLAGS, right: input.cannotHold?.right ?? NO_FLAGS };
    const left = sortOut(input.saved, 'left', input.left);
    const right = sortOut(input.saved, 'right', input.right);
    this.atSavedId = { left: left.atSavedId, right: right.atSavedId };
    this.unpaired = {
      left: new UnpairedMessages(left.unpaired, this.identities.left, (message) => this.expunges('left', message.flags)),
      right: new UnpairedMessages(right.unpaired, this.identities.right, (message) => this.expunges('right', message.flags)),
    };
  }

  plan(): SyncPlan {
    // Saved pairs look for their missing messages first, so that a message
    // joins its old pair rather than an unpaired message of the other side;
    // invalidated ids first, then messages deleted and stored again.
    const saved = this.input.saved.map((was, index) => this.locate(was, index));
    // A pair whose other message is still there finds its invalidated one
    // first: a pair whose other message vanished would otherwise take it,
    // and the living pair's message would be copied again beside it.
    for (const alive of [true, false]) {
      saved.forEach((pair, index) => {
        for (const side of SIDES) if (pair[side] === 'lost' && (typeof pair[otherSide(side)] === 'object') === alive) pair[side] = this.findAgain(pair, index, side);
      });
    }
    for (const pair of saved) for (const side of SIDES) this.findStoredAgain(pair, side);
    for (const pair of saved) this.settle(pair);
    for (const [identity, left, right] of this.unpaired.left.matchWith(this.unpaired.right)) {
      this.reconcile({ base: [], identity, left, right }, left, right);
    }
    for (const side of SIDES) {
      for (const message of this.unpaired[side].remaining()) this.newMessage(side, message, undefined);
    }
    return { steps: this.steps };
  }

  /** Where the pair's messages are at their saved ids; 'lost' (for now) where the side's ids were invalidated. */
  private locate(was: SavedPair, index: number): Located {
    const identity = was.identity ?? this.knownIdentity(was);
    const at = (side: Side): Presence => (was[side] === undefined ? 'lost' : (this.atSavedId[side][index] ?? 'vanished'));
    return { was, base: was.flags, identity, left: at('left'), right: at('right') };
  }

  /** The pair's message on a side whose ids were invalidated: an unpaired message with its identity, else 'lost'. */
  private findAgain({ was, identity }: Located, index: number, side: Side): Presence {
    // Among duplicates, the copy of the other side's message (its date), else the one with the pair's flags.
    return (identity === undefined ? undefined : this.unpaired[side].take(identity, { flags: was!.flags, like: this.atSavedId[otherSide(side)][index] })) ?? 'lost';
  }

  /**
   * A vanished message stored again (same identity, new id) rejoins its pair
   * when it would otherwise be copied next to the pair's other message. Not
   * otherwise: an unpaired duplicate would join the pair, and perhaps be
   * expunged with it, one run after the other.
   */
  private findStoredAgain(pair: Located, side: Side): void {
    const { identity } = pair;
    if (pair[side] !== 'vanished' || typeof pair[otherSide(side)] !== 'object' || identity === undefined) return;
    // Among duplicates, the copy of the pair's other message (its date).
    const like = pair[otherSide(side)] as MessageMeta;
    const again = this.unpaired[side].peek(identity, { like });
    if (again && this.copies(side, again)) pair[side] = this.unpaired[side].take(identity, { like })!;
  }

  private knownIdentity(pair: SavedPair): Identity | undefined {
    for (const side of SIDES) {
      const id = pair[side];
      const identity = id === undefined ? undefined : this.identities[side].get(id);
      if (identity !== undefined) return identity;
    }
    return undefined;
  }

  private settle(pair: Located): void {
    const { left, right } = pair;
    if (typeof left === 'object' && typeof right === 'object') return this.reconcile(pair, left, right);
    if (typeof left === 'object') return this.survivor(pair, 'left', left);
    if (typeof right === 'object') return this.survivor(pair, 'right', right);
    this.push(pair.was); // on neither side any more: forget the pair
  }

  /** The message is on one side only. */
  private survivor(pair: Located, side: Side, message: MessageMeta): void {
    const other = otherSide(side);
    if (pair[other] === 'lost') return this.newMessage(side, message, pair);
    if (towards(this.policy, side).has('gone') || this.expunges(side, message.flags)) {
      return this.push(pair.was, { delete: [{ side, id: message.id }] });
    }
    const orphan = makePair({ [side]: message.id, [other]: pair.was?.[other] }, [...pair.base], pair.identity, pair.was?.notHeld);
    if (!pair.was || !samePair(orphan, pair.was)) this.push(pair.was, { becomes: orphan });
  }

  /** The message is on both sides: merge flags, expunge. */
  private reconcile(pair: Located, left: MessageMeta, right: MessageMeta): void {
    if (this.unchanged(pair, left, right)) return;
    const { policy } = this;
    const messages = { left, right };
    const flows = (side: Side) => towards(policy, side).has('flags');
    const seen = { left: this.seenAgainstBase(pair, left, 'left'), right: this.seenAgainstBase(pair, right, 'right') };
    // The flags the pair saves: the changes of the sides whose flags flow to the other, merged.
    const merged = mergeFlags(pair.base, [...(policy.toRight.has('flags') ? [seen.left] : []), ...(policy.toLeft.has('flags') ? [seen.right] : [])]);
    // Flowing one way and keeping its own changes, the receiving side merges the sender's changes into its own.
    const keepsOwn = policy.keepOwnFlags === true && flows('left') !== flows('right');
    const received = keepsOwn ? mergeFlags(pair.base, [seen.left, seen.right]) : merged;
    // What each side is to hold: the flags it receives but those it cannot hold (unless it holds them already).
    const held = { left: flows('left') ? this.holdable('left', received, left.flags) : left.flags, right: flows('right') ? this.holdable('right', received, right.flags) : right.flags };
    // Merged flags a side lacks because it cannot hold them (now, or at the last sync when the flags do not flow to it).
    const notHeld = (side: Side) => {
      const before = pair.was?.notHeld?.[side];
      return merged.filter((flag) => !held[side].includes(flag) && (this.cannotHold[side].has(flag) || before?.includes(flag)));
    };
    const expunged = { left: this.expunges('left', held.left), right: this.expunges('right', held.right) };
    const deleted = {
      left: expunged.left || (expunged.right && policy.toLeft.has('gone')),
      right: expunged.right || (expunged.left && policy.toRight.has('gone')),
    };
    // A side deleted alone keeps its id in the pair: an orphan, like a deletion that may not propagate.
    const becomes = deleted.left && deleted.right ? undefined : makePair({ left: left.id, right: right.id }, merged, pair.identity, { left: notHeld('left'), right: notHeld('right') });
    const step = this.step(pair.was, becomes && { becomes });
    for (const side of SIDES) {
      const { id, flags } = messages[side];
      if (deleted[side]) step.delete.push({ side, id });
      else if (!sameFlags(flags, held[side])) step.setFlags.push({ side, id, ...flagDelta(flags, held[side]) });
    }
    const noop = pair.was && becomes && samePair(becomes, pair.was) && step.setFlags.length === 0 && step.delete.length === 0;
    if (!noop) this.steps.push(step);
  }

  /**
   * A side's flags as the merge reads them against the pair's base: a base
   * flag the side cannot hold now counts as still there (neither removed
   * there nor, being in the base, added), and so does one it did not hold at
   * the last sync if flags flow to it (it is set there now). A side flags do
   * not flow to (a mirror's source) that can hold the flag again and lacks it
   * is read as it is: it removed the flag, since it can never be given it.
   */
  private seenAgainstBase(pair: Located, message: MessageMeta, side: Side): readonly string[] {
    const notHeld = towards(this.policy, side).has('flags') ? pair.was?.notHeld?.[side] : undefined;
    const cannotHold = this.cannotHold[side];
    if (!notHeld && cannotHold.size === 0) return message.flags;
    const unseen = pair.base.filter((flag) => !message.flags.includes(flag) && (cannotHold.has(flag) || notHeld?.includes(flag)));
    return unseen.length ? [...message.flags, ...unseen] : message.flags;
  }

  /** `flags` but those `side` cannot hold and does not hold already (`has`). */
  private holdable(side: Side, flags: readonly string[], has: readonly string[]): string[] {
    const cannotHold = this.cannotHold[side];
    return cannotHold.size === 0 ? [...flags] : flags.filter((flag) => !cannotHold.has(flag) || has.includes(flag));
  }

  /** The common case, answered without allocating: the pair is as the last sync left it. */
  private unchanged({ was, identity }: Located, left: MessageMeta, right: MessageMeta): boolean {
    if (!was || was.left !== left.id || was.right !== right.id || was.identity !== identity) return false;
    if (!this.holdsAsSaved(was, left, 'left') || !this.holdsAsSaved(was, right, 'right')) return false;
    return !this.expunges('left', left.flags) && !this.expunges('right', right.flags);
  }

  /** The side holds what the pair says it held, and still cannot hold what it did not. */
  private holdsAsSaved(was: SavedPair, message: MessageMeta, side: Side): boolean {
    const notHeld = was.notHeld?.[side];
    if (!notHeld) return sameFlags(message.flags, was.flags);
    return notHeld.every((flag) => this.cannotHold[side].has(flag)) && sameFlags(message.flags, heldAtLastSync(was, side));
  }

  /** A message no pair holds (or whose pair lost the other side): copy it over. */
  private newMessage(side: Side, message: MessageMeta, pair: Located | undefined): void {
    const identity = pair?.identity ?? this.identities[side].get(message.id);
    if (this.expunges(side, message.flags)) return this.push(pair?.was, { delete: [{ side, id: message.id }] });
    if (this.copies(side, message)) {
      const { flags, copied, notHeld } = this.copyFlags(side, message.flags);
      const copy: CopyAction = { from: side, id: message.id, flags: copied };
      if (identity !== undefined) copy.identity = identity;
      return this.push(pair?.was, { becomes: makePair({ [side]: message.id }, flags, identity, notHeld), copy });
    }
    if (pair?.was) this.push(pair.was); // the pair is dissolved; the message stays, unpaired
  }

  /**
   * The flags of a copy from `side` and of its pair, made once per distinct
   * list of flags and shared by every copy with it: a folder's first copy
   * plans every message, and lists of its own for each made that plan grow
   * with the folder (about 100 bytes a message).
   */
  private copyFlags(side: Side, messageFlags: readonly string[]): { flags: string[]; copied: string[]; notHeld?: Partial<Record<Side, string[]>> } {
    const key = `${side}\n${messageFlags.join('\n')}`;
    let made = this.copyFlagLists.get(key);
    if (!made) {
      const to = otherSide(side);
      const flags = sorted(messageFlags);
      const copied = this.holdable(to, flags, []);
      const lacking = flags.filter((flag) => !copied.includes(flag));
      made = { flags, copied, ...(lacking.length ? { notHeld: { [to]: lacking } } : {}) };
      this.copyFlagLists.set(key, made);
    }
    return made;
  }

  /** A new message on `side` is copied over, unless its target would expunge it at once. */
  private copies(side: Side, message: MessageMeta): boolean {
    const to = otherSide(side);
    return towards(this.policy, to).has('new') && !this.expunges(side, message.flags) && !this.expunges(to, message.flags);
  }

  private expunges(side: Side, flags: readonly string[]): boolean {
    return this.policy.expunge[side] && flags.includes(DELETED);
  }

  private step(was: SavedPair | undefined, fields: Partial<Omit<PlanStep, 'was'>> = {}): PlanStep {
    const step: PlanStep = { setFlags: [], delete: [], ...fields };
    if (was) step.was = was;
    return step;
  }

  private push(was: SavedPair | undefined, fields: Partial<Omit<PlanStep, 'was'>> = {}): void {
    this.steps.push(this.step(was, fields));
  }
}
