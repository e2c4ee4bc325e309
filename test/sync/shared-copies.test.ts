// SharedCopies: how a folder's copies are lent to idle engines (see test/mirror/scheduling.test.ts end to end).
import { describe, expect, it } from 'vitest';
import { SharedCopies, type LentOutcome } from '../../src/api/engines/shared-copies.js';
import { CopyQueue } from '../../src/api/engines/copy-queue.js';
import type { PlanStep } from '../../src/core/sync/index.js';

const BATCH = { messages: 200, bytes: 2 << 20 };
const folders = { from: { name: 'Big', uidValidity: '7' }, to: { name: 'Big', uidValidity: '9' } };

function steps(count: number): PlanStep[] {
  return Array.from({ length: count }, (_, i) => ({ copy: { from: 'left', id: String(i + 1), flags: [] }, becomes: { left: String(i + 1), flags: [] }, setFlags: [], delete: [] }) as PlanStep);
}

function shared(count: number, size: number, merged: LentOutcome[] = []): SharedCopies {
  const all = steps(count);
  return new SharedCopies({ from: 'left', folders, folderPairId: 1 }, new CopyQueue('left', all), new Map(all.map((step) => [step.copy!.id, size])), BATCH, (outcome) => merged.push(outcome));
}

const ok = (ids: string[]): LentOutcome => ({ stored: ids.map((id) => ({ id: `n${id}`, flags: [], sourceId: id, identity: `mid:<${id}@x>` })), bytes: ids.length, skipped: [], errors: [] });

describe('SharedCopies', () => {
  it('lends off the end, smaller as more engines help, never the last few, and every step once', () => {
    const copies = shared(1000, 5_000);
    const first = copies.lend()!;
    const second = copies.lend()!;
    expect(first.steps.at(-1)!.copy!.id).toBe('1000');
    expect(second.steps.at(-1)!.copy!.id).toBe(String(1000 - first.steps.length));
    expect(second.steps.length).toBeLessThan(first.steps.length);
    expect(first.sizes).toEqual(first.steps.map((step) => [step.copy!.id, 5_000]));
    const lent = [first, second];
    for (let chunk = copies.lend(); chunk; chunk = copies.lend()) lent.push(chunk);
    expect(copies.pending.length).toBeGreaterThan(0);
    expect(copies.pending.length).toBeLessThan(32);
    const ids = [...copies.pending.take(0, copies.pending.length), ...lent.flatMap((chunk) => chunk.steps)].map((step) => step.copy!.id);
    expect(new Set(ids).size).toBe(1000);
  });

  it('a chunk holds at most four batches of bytes, and at least 16 messages', () => {
    const big = shared(1000, 1 << 20).lend()!;
    expect(big.steps.length).toBeLessThanOrEqual(16);
    expect(shared(1000, 100_000).lend()!.steps.length * 100_000).toBeLessThanOrEqual(4 * BATCH.bytes);
    expect(shared(31, 10).lend()).toBeUndefined();
  });

  it('settles once every chunk is back; a failed chunk stops the rest of the copy and is merged', async () => {
    const merged: LentOutcome[] = [];
    const copies = shared(200, 1000, merged);
    const [a, b] = [copies.lend()!, copies.lend()!];
    let settled = false;
    const waiting = copies.settled().then(() => (settled = true));
    copies.returned(ok(a.steps.map((step) => step.copy!.id)));
    await Promise.resolve();
    expect(settled).toBe(false);
    expect(copies.pending.length).toBeGreaterThan(0);
    copies.returned({ ...ok([]), errors: [{ code: 'ENETWORK', message: 'gone' }] });
    await waiting;
    expect(settled).toBe(true);
    expect(copies.pending.length).toBe(0);
    expect(copies.lend()).toBeUndefined();
    expect(merged.map((outcome) => outcome.stored.length)).toEqual([a.steps.length, 0]);
    expect(b.steps.length).toBeGreaterThan(0);
  });
});
