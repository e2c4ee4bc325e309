/** Property: the memory and SQLite stores agree on every result after any sequence of calls. */
import fc from 'fast-check';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryStateStore, SqliteStateStore, type MessagePair, type StateCommit, type StateStore } from '../../src/api/state/index.js';
import { sortPairs } from './store-contract.js';
import { tempDirs } from '../support/temp-dirs.js';

const newDir = tempDirs('equivalence');

// Few ids, so that upserts and removals collide often.
const leftId = fc.constantFrom('1', '2', '3', '4');
const rightId = fc.constantFrom('a', 'b', 'c', 'd');
const side = fc.constantFrom('left' as const, 'right' as const);
const validPair: fc.Arbitrary<MessagePair> = fc
  .record({ left: leftId, right: rightId, flags: fc.subarray(['\\Seen', '\\Flagged', '$Junk']), identity: fc.constantFrom('i1', 'i2') }, { requiredKeys: ['flags'] })
  .filter((pair) => pair.left !== undefined || pair.right !== undefined);
const change: fc.Arbitrary<StateCommit> = fc.record({
  removePairs: fc.array(fc.record({ left: leftId, right: rightId }, { requiredKeys: [] }).filter((key) => key.left !== undefined || key.right !== undefined), { maxLength: 2 }),
  upsertPairs: fc.array(validPair, { maxLength: 4 }),
  closeIntents: fc.array(fc.integer({ min: 1, max: 8 }), { maxLength: 2 }),
  openIntents: fc.array(fc.record({ from: side, sourceId: leftId, identity: fc.constantFrom('i1', 'i2') }, { requiredKeys: ['from', 'sourceId'] }), { maxLength: 2 }),
  checkpoints: fc.record({ leftUidValidity: fc.constantFrom('1', '2'), rightCheckpoint: fc.constantFrom('x', 'y') }, { requiredKeys: [] }),
}, { requiredKeys: [] });

type Operation =
  | { kind: 'commit'; folder: number; change: StateCommit }
  | { kind: 'broken commit'; folder: number; change: StateCommit; at: number }
  | { kind: 'forget'; folder: number; side: 'left' | 'right' };

const folder = fc.constantFrom(0, 1);
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('commit' as const), folder, change }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('broken commit' as const), folder, change, at: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('forget' as const), folder, side }) },
);

async function run(store: StateStore, folderIds: number[], op: Operation): Promise<string> {
  try {
    const id = folderIds[op.folder]!;
    if (op.kind === 'forget') await store.forgetSide(id, op.side);
    else if (op.kind === 'commit') return JSON.stringify(await store.commit(id, op.change));
    else {
      const pairs = [...(op.change.upsertPairs ?? [])];
      pairs.splice(op.at % (pairs.length + 1), 0, { flags: [] }); // a pair with no id: the whole commit must be refused
      await store.commit(id, { ...op.change, upsertPairs: pairs });
    }
    return 'ok';
  } catch (error) {
    return `threw ${(error as Error).name}`;
  }
}

async function snapshot(store: StateStore, folderIds: number[]) {
  return {
    folders: await store.folderPairs(),
    pairs: await Promise.all(folderIds.map(async (id) => sortPairs(await store.pairs(id)))),
    intents: await Promise.all(folderIds.map(async (id) => (await store.intents(id)).map(({ createdAt: _, ...intent }) => intent))),
  };
}

describe('MemoryStateStore and SqliteStateStore', () => {
  it('give identical results for any sequence of commits and forgetSide calls', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { maxLength: 25 }), async (operations) => {
        const memory = new MemoryStateStore();
        const sqlite = SqliteStateStore.open({ account: 'me', path: join(newDir(), 'me.sqlite') });
        try {
          const folderIds = [];
          for (const name of ['INBOX', 'Sent']) {
            const [a, b] = [await memory.ensureFolderPair(name, name), await sqlite.ensureFolderPair(name, name)];
            expect(a).toStrictEqual(b);
            folderIds.push(a.id);
          }
          for (const op of operations) {
            expect(await run(sqlite, folderIds, op)).toBe(await run(memory, folderIds, op));
            expect(await snapshot(sqlite, folderIds)).toStrictEqual(await snapshot(memory, folderIds));
          }
        } finally {
          await sqlite.close();
        }
      }),
      { numRuns: 150 },
    );
  });
});
