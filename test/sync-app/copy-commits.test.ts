// copySteps' state commits (DESIGN §5): a batch's intents are durable before
// its messages are stored, its pairs only once they are stored; the pairs of
// one batch go in the same commit as the next batch's intents (one commit per
// batch, plus the last batch's pairs alone). Two Maildirs and an in-memory
// state whose commits are watched.
import { afterEach, describe, expect, it } from 'vitest';
import type { Remote } from '../../src/api/app.js';
import { copySteps } from '../../src/api/engines/copy-steps.js';
import { CopyQueue } from '../../src/api/engines/copy-queue.js';
import { MemoryStateStore } from '../../src/api/state/memory.js';
import type { StateCommit, StateStore } from '../../src/api/state/types.js';
import type { Repository } from '../../src/api/types.js';
import type { PlanStep } from '../../src/core/sync/index.js';
import { makeMessage } from '../support/messages.js';
import { folderAt } from '../support/folder-at.js';
import { tempMaildir, type TempMaildir } from '../maildir/helpers.js';

const temps: TempMaildir[] = [];
afterEach(async () => {
  for (const temp of temps.splice(0)) await temp.cleanup();
});

/** What the target held when a commit was made, and what the commit opened and paired. */
interface SeenCommit {
  opened: string[];
  paired: { left: string; right: string }[];
  onTarget: number;
}

describe('copySteps commits', () => {
  it('commits each batch\'s pairs with the next batch\'s intents: intents before the store, pairs after it, one commit per batch and one at the end', async () => {
    const [source, target] = [await tempMaildir(), await tempMaildir()];
    temps.push(source, target);
    for (const temp of [source, target]) await temp.repo.createFolder('INBOX');
    const ids = await source.repo.store('INBOX', Array.from({ length: 5 }, (_, i) => ({ body: makeMessage({ subject: `m${i}` }), flags: [], internalDate: Date.UTC(2025, 0, 1) })));
    const state = new MemoryStateStore();
    const record = await state.ensureFolderPair('INBOX', 'INBOX');
    const commits: SeenCommit[] = [];
    const watched = {
      commit: async (id: number, change: StateCommit) => {
        commits.push({
          opened: (change.openIntents ?? []).map((intent) => intent.sourceId),
          paired: (change.upsertPairs ?? []).map((pair) => ({ left: pair.left!, right: pair.right! })),
          onTarget: (await target.repo.scan('INBOX')).messages.length,
        });
        return state.commit(id, change);
      },
    };
    const steps: PlanStep[] = ids.map((id) => ({ copy: { from: 'left', id, flags: [] }, becomes: { left: id, flags: [] }, setFlags: [], delete: [] }));
    const landed: string[] = [];
    const errors: unknown[] = [];
    await copySteps({
      steps: new CopyQueue('left', steps),
      from: 'left',
      folders: { from: await folderAt(source.repo, 'INBOX'), to: await folderAt(target.repo, 'INBOX') },
      folderPairId: record.id,
      sizes: new Map(),
      source: source.repo as unknown as Remote<Repository>,
      target: target.repo as unknown as Remote<Repository>,
      state: watched as unknown as Remote<StateStore>,
      batchMessages: 2,
      batchBytes: 1 << 20,
      partBytes: 1 << 20,
      onBatch: (stored) => landed.push(...stored.map((copy) => copy.sourceId)),
      onSkipped: (items) => errors.push(items),
      onError: (error) => errors.push(error),
    });
    expect(errors).toEqual([]);
    expect(landed).toEqual(ids);
    // Batches of 2, 2 and 1: four commits, not six.
    expect(commits.map((commit) => [commit.opened.length, commit.paired.length])).toEqual([[2, 0], [2, 2], [1, 2], [0, 1]]);
    const targetIds = new Set((await target.repo.scan('INBOX')).messages.map((message) => message.id));
    let stored = 0;
    for (const commit of commits) {
      // The intents of a batch not stored yet; the pairs of the batch stored just before, whose messages are on the target.
      expect(commit.onTarget).toBe(stored);
      for (const pair of commit.paired) expect(targetIds.has(pair.right)).toBe(true);
      stored += commit.opened.length;
    }
    expect(commits.flatMap((commit) => commit.paired.map((pair) => pair.left))).toEqual(ids);
    expect(await state.intents(record.id)).toEqual([]);
    expect((await state.pairs(record.id)).map((pair) => pair.left).sort()).toEqual([...ids].sort());
  });
});
