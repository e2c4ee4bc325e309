import type { Side } from '../types.js';
import type { FolderPairRecord, Intent, MessagePair, StateCommit, StateStore } from './types.js';
import { checkCommit, checkPairConflicts, notHeldToStore, unknownFolderPair } from './validate.js';

const CHECKPOINT_FIELDS = ['leftUidValidity', 'rightUidValidity', 'leftCheckpoint', 'rightCheckpoint'] as const;

interface FolderState {
  record: FolderPairRecord;
  pairs: Set<MessagePair>;
  byLeft: Map<string, MessagePair>;
  byRight: Map<string, MessagePair>;
  intents: Map<number, Intent>;
}

/** A state store held in memory, for tests and dry runs. Nothing survives `close`. */
export class MemoryStateStore implements StateStore {
  private readonly folders = new Map<number, FolderState>();
  private lastFolderPairId = 0;
  private lastIntentId = 0;

  async folderPairs(): Promise<FolderPairRecord[]> {
    return [...this.folders.values()].map((folder) => ({ ...folder.record }));
  }

  async ensureFolderPair(left: string, right: string): Promise<FolderPairRecord> {
    for (const folder of this.folders.values()) {
      if (folder.record.left === left && folder.record.right === right) return { ...folder.record };
    }
    const record: FolderPairRecord = { id: ++this.lastFolderPairId, left, right };
    this.folders.set(record.id, { record, pairs: new Set(), byLeft: new Map(), byRight: new Map(), intents: new Map() });
    return { ...record };
  }

  async removeFolderPair(id: number): Promise<void> {
    this.folders.delete(id);
  }

  async pairs(folderPairId: number): Promise<MessagePair[]> {
    return [...this.folder(folderPairId).pairs].map(copyPair);
  }

  async intents(folderPairId: number): Promise<Intent[]> {
    return [...this.folder(folderPairId).intents.values()].map((intent) => ({ ...intent }));
  }

  async commit(folderPairId: number, change: StateCommit): Promise<{ intentIds: number[] }> {
    const folder = this.folder(folderPairId);
    // Everything that can throw is checked first, so a refused commit changes nothing.
    checkCommit(change);
    checkPairConflicts(change, (side, id) => (side === 'left' ? folder.byLeft : folder.byRight).get(id));
    for (const key of change.removePairs ?? []) removeHolders(folder, key);
    for (const pair of change.upsertPairs ?? []) {
      removeHolders(folder, pair);
      const stored = copyPair(pair);
      folder.pairs.add(stored);
      if (stored.left !== undefined) folder.byLeft.set(stored.left, stored);
      if (stored.right !== undefined) folder.byRight.set(stored.right, stored);
    }
    for (const id of change.closeIntents ?? []) folder.intents.delete(id);
    const createdAt = Date.now();
    const intentIds = (change.openIntents ?? []).map((intent) => {
      const id = ++this.lastIntentId;
      folder.intents.set(id, { id, folderPairId, from: intent.from, sourceId: intent.sourceId, ...optional('identity', intent.identity), createdAt });
      return id;
    });
    for (const id of change.markUnfound ?? []) {
      const intent = folder.intents.get(id);
      if (intent && intent.unfoundAt === undefined) intent.unfoundAt = createdAt;
    }
    for (const field of CHECKPOINT_FIELDS) {
      const value = change.checkpoints?.[field];
      if (value !== undefined) folder.record[field] = value;
    }
    return { intentIds };
  }

  async forgetSide(folderPairId: number, side: Side): Promise<void> {
    const folder = this.folder(folderPairId);
    for (const pair of folder.pairs) {
      delete pair[side];
      if (pair.left === undefined && pair.right === undefined) folder.pairs.delete(pair);
    }
    (side === 'left' ? folder.byLeft : folder.byRight).clear();
    delete folder.record[side === 'left' ? 'leftUidValidity' : 'rightUidValidity'];
    delete folder.record[side === 'left' ? 'leftCheckpoint' : 'rightCheckpoint'];
  }

  async close(): Promise<void> {
    this.folders.clear();
  }

  private folder(id: number): FolderState {
    const folder = this.folders.get(id);
    if (!folder) throw unknownFolderPair(id);
    return folder;
  }
}

/** Removes the pairs holding `key.left` as left id or `key.right` as right id. */
function removeHolders(folder: FolderState, key: { left?: string; right?: string }): void {
  const holders = [key.left === undefined ? undefined : folder.byLeft.get(key.left), key.right === undefined ? undefined : folder.byRight.get(key.right)];
  for (const pair of holders) {
    if (!pair) continue;
    folder.pairs.delete(pair);
    if (pair.left !== undefined) folder.byLeft.delete(pair.left);
    if (pair.right !== undefined) folder.byRight.delete(pair.right);
  }
}

function copyPair(pair: MessagePair): MessagePair {
  return { ...optional('left', pair.left), ...optional('right', pair.right), flags: [...pair.flags], ...optional('notHeld', notHeldToStore(pair)), ...optional('identity', pair.identity) };
}

/** `{ [key]: value }`, or `{}` when the value is undefined: results never carry undefined fields. */
function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
