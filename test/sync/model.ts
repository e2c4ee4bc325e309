/**
 * A tiny model of two message stores and the saved state, with an executor
 * that applies a plan the way the engine does: actions first, then each
 * step's pair (copies get the new id and the identity of the copied body).
 */
import { expect } from 'vitest';
import type { MessageMeta, Side } from '../../src/api/types.js';
import { needIdentities, planSync, type SavedPair, type SyncPlan, type SyncPolicy } from '../../src/core/sync/index.js';

export interface StoredMessage {
  identity: string;
  flags: string[];
}

export class Store {
  readonly messages = new Map<string, StoredMessage>();
  /** Flags this store cannot hold (a Maildir folder whose keyword letters are taken): dropped when stored or set. */
  cannotHold = new Set<string>();
  private lastId = 0;

  /** `prefix` keeps the right side's names unique across folders, as Maildir unique names are (a moved file keeps its name). */
  constructor(
    readonly side: Side,
    readonly prefix = '',
  ) {}

  /** Ids are never reused, like IMAP UIDs and Maildir names: numbers on the left, names on the right. */
  add(identity: string, flags: readonly string[]): string {
    const id = this.side === 'left' ? String(++this.lastId) : `${this.prefix}m${++this.lastId}.host`;
    this.messages.set(id, { identity, flags: this.holdable(flags) });
    return id;
  }

  /** The flags as this store keeps them: without those it cannot hold. */
  holdable(flags: readonly string[]): string[] {
    return [...new Set(flags)].filter((flag) => !this.cannotHold.has(flag));
  }

  /** The store can no longer hold `flag` (its keyword lost its letter): its messages no longer show it. */
  refuse(flag: string): void {
    this.cannotHold.add(flag);
    for (const message of this.messages.values()) message.flags = message.flags.filter((f) => f !== flag);
  }

  list(): MessageMeta[] {
    return [...this.messages].map(([id, message]) => ({ id, flags: [...message.flags], size: 100, internalDate: 0 }));
  }

  identities(): string[] {
    return [...this.messages.values()].map((message) => message.identity).sort();
  }

  /** The store renumbers every message (UIDVALIDITY change): returns old id -> new id. */
  renumber(): Map<string, string> {
    const old = [...this.messages];
    this.messages.clear();
    return new Map(old.map(([id, message]) => [id, this.add(message.identity, message.flags)]));
  }

  clone(): Store {
    const copy = new Store(this.side, this.prefix);
    copy.lastId = this.lastId;
    copy.cannotHold = new Set(this.cannotHold);
    for (const [id, message] of this.messages) copy.messages.set(id, { identity: message.identity, flags: [...message.flags] });
    return copy;
  }
}

export class World {
  left: Store;
  right: Store;
  saved: SavedPair[] = [];

  constructor(prefix = '') {
    this.left = new Store('left', prefix);
    this.right = new Store('right', prefix);
  }

  store(side: Side): Store {
    return side === 'left' ? this.left : this.right;
  }

  /** What the state store's `forgetSide` does after a UIDVALIDITY change. */
  invalidate(side: Side): void {
    this.store(side).renumber();
    this.saved = this.saved
      .map((pair): SavedPair => {
        const { [side]: _dropped, ...rest } = pair;
        return rest;
      })
      .filter((pair) => pair.left !== undefined || pair.right !== undefined);
  }

  clone(): World {
    const copy = new World();
    copy.left = this.left.clone();
    copy.right = this.right.clone();
    copy.saved = this.saved.map((pair) => structuredClone(pair));
    return copy;
  }

  /** Plans like the engine: identifies only what `needIdentities` asks for. */
  plan(policy: SyncPolicy): { plan: SyncPlan; asked: Record<Side, string[]> } {
    const left = this.left.list();
    const right = this.right.list();
    const asked = needIdentities(this.saved, left, right);
    const identities = {
      left: new Map(asked.left.map((id) => [id, this.left.messages.get(id)!.identity])),
      right: new Map(asked.right.map((id) => [id, this.right.messages.get(id)!.identity])),
    };
    const cannotHold = { left: this.left.cannotHold, right: this.right.cannotHold };
    return { plan: planSync({ saved: this.saved, left, right, identities, policy, cannotHold }), asked };
  }

  /** Executes a plan and commits its steps, checking that every action names a message that exists. */
  execute(plan: SyncPlan): void {
    const removed = new Set<SavedPair>();
    const added: SavedPair[] = [];
    for (const step of plan.steps) {
      for (const { side, id } of step.delete) {
        expect(this.store(side).messages.has(id), `delete ${side} ${id}`).toBe(true);
        this.store(side).messages.delete(id);
      }
      for (const { side, id, add, remove } of step.setFlags) {
        const message = this.store(side).messages.get(id);
        expect(message, `flags ${side} ${id}`).toBeDefined();
        expect(add.filter((flag) => this.store(side).cannotHold.has(flag)), `flags ${side} ${id} sent that it cannot hold`).toEqual([]);
        message!.flags = this.store(side).holdable([...message!.flags.filter((flag) => !remove.includes(flag)), ...add]);
      }
      let becomes = step.becomes && { ...step.becomes };
      if (step.copy) {
        const { from, id, flags } = step.copy;
        const source = this.store(from).messages.get(id);
        expect(source, `copy ${from} ${id}`).toBeDefined();
        const to = from === 'left' ? 'right' : 'left';
        expect(flags.filter((flag) => this.store(to).cannotHold.has(flag)), `copy ${from} ${id} sent flags ${to} cannot hold`).toEqual([]);
        const newId = this.store(to).add(source!.identity, flags);
        becomes = { ...becomes!, [to]: newId, identity: becomes?.identity ?? source!.identity };
      }
      if (step.was) {
        expect(this.saved.includes(step.was), 'step.was is one of the saved pairs').toBe(true);
        removed.add(step.was);
      }
      if (becomes) added.push(becomes);
    }
    this.saved = [...this.saved.filter((pair) => !removed.has(pair)), ...added];
  }

  sync(policy: SyncPolicy): SyncPlan {
    const { plan } = this.plan(policy);
    this.execute(plan);
    return plan;
  }
}

export function message(id: string, flags: string[] = []): MessageMeta {
  return { id, flags, size: 100, internalDate: 0 };
}

export function flagSet(flags: readonly string[]): string[] {
  return [...new Set(flags)].sort();
}
