/** Timings of the SQLite store at realistic sizes, printed (speed is watched here, never asserted). */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { expect, it } from 'vitest';
import { SqliteStateStore, type MessagePair } from '../../src/api/state/index.js';
import { tempDirs } from '../support/temp-dirs.js';

const newDir = tempDirs('perf');

const pair = (n: number, flags = ['\\Seen']): MessagePair => ({
  left: String(100_000 + n),
  right: `1700000000.M${n}P4242Q${n % 97}.laptop.example`,
  flags,
  identity: `mid:<${n}.${n * 7919}@mail.example.com>:${2_000 + (n % 50_000)}`,
});

async function time(action: () => unknown): Promise<number> {
  const start = performance.now();
  await action();
  return performance.now() - start;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

it('commits 100,000 pairs in batches of 1,000, updates, reopens and loads them all (timings printed)', async () => {
  const path = join(newDir(), 'me.sqlite');
  let store = SqliteStateStore.open({ account: 'me', path });
  const folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;

  const inserts: number[] = [];
  for (let batch = 0; batch < 100; batch++) {
    const pairs = Array.from({ length: 1_000 }, (_, i) => pair(batch * 1_000 + i));
    inserts.push(await time(() => store.commit(folder, { upsertPairs: pairs, openIntents: [{ from: 'left', sourceId: '1' }] })));
  }
  const updates: number[] = [];
  for (let batch = 0; batch < 10; batch++) {
    const pairs = Array.from({ length: 1_000 }, (_, i) => pair(batch * 9_000 + i, ['\\Seen', '\\Flagged']));
    updates.push(await time(() => store.commit(folder, { upsertPairs: pairs })));
  }

  await store.close();
  const reopen = await time(() => (store = SqliteStateStore.open({ account: 'me', path })));
  let loaded: MessagePair[] = [];
  const loads: number[] = [];
  for (let i = 0; i < 5; i++) loads.push(await time(async () => (loaded = await store.pairs(folder))));
  const forget = await time(() => store.forgetSide(folder, 'left'));
  await store.close();

  const report = {
    'commit 1,000 new pairs (median of 100, ms)': median(inserts),
    'commit 1,000 pair updates (median of 10, ms)': median(updates),
    'open existing database (ms)': reopen,
    'pairs() of 100,000 (first, ms)': loads[0],
    'pairs() of 100,000 (median of 5, ms)': median(loads),
    'forgetSide on 100,000 (ms)': forget,
  };
  console.log(Object.entries(report).map(([what, ms]) => `${what}: ${ms!.toFixed(1)}`).join('\n'));
  expect(loaded).toHaveLength(100_000);
});
