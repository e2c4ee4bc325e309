// DESIGN §5 for migrate: a migration of 1,100 messages is killed with
// SIGKILL at many moments (start-up, the state just locked, folders just
// created, each stage of the copy, right after a state commit) and run
// again each time. After every kill the target holds no message the source
// does not hold as often; the last run completes and the target then holds
// each source message exactly once, with its flags and date.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeAppRun } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir } from '../support/messages.js';
import { makeMessages, type SeedSpec } from '../mirror/support.js';
import { counts, folderDifferences, readFolder, runMigrate, startMigrate, tempDir, type Side } from './support.js';

const SPECS: SeedSpec[] = [
  { folder: 'INBOX', count: 500, duplicates: 3, withoutMessageId: 5 },
  { folder: 'Archive', count: 350, withoutMessageId: 2 },
  { folder: 'Lists/dev', count: 250, duplicates: 2 },
];
const FOLDERS = SPECS.map((spec) => spec.folder);
const TOTAL = SPECS.reduce((n, spec) => n + spec.count + (spec.duplicates ?? 0), 0);

interface Observation {
  elapsed: number;
  pid: number;
  /** Message files in the target's Maildir. */
  onTarget: number;
  /** Target folder directories. */
  folders: number;
  /** State commits seen in this run, and since `onTarget` first reached `since`. */
  commitsSince(since: number): number;
  lockHeldByRun: boolean;
}

const share = (k: number) => Math.ceil(TOTAL * k);

/** In run order: each run is killed at the next moment, then the next run starts. */
const MOMENTS: { name: string; kill(o: Observation): boolean }[] = [
  { name: 'start-up, 150 ms after spawn', kill: (o) => o.elapsed >= 150 },
  { name: 'the state database just opened (account lock taken)', kill: (o) => o.lockHeldByRun },
  { name: 'target folders created, no message yet', kill: (o) => o.folders >= FOLDERS.length || o.onTarget > 0 },
  ...[0.1, 0.25, 0.4].map((k) => ({ name: `${k * 100}% of the messages on the target`, kill: (o: Observation) => o.onTarget >= share(k) })),
  { name: 'right after a state commit, past 50%', kill: (o: Observation) => o.onTarget >= share(0.5) && o.commitsSince(share(0.5)) >= 1 },
  ...[0.65, 0.8, 0.95].map((k) => ({ name: `${k * 100}% of the messages on the target`, kill: (o: Observation) => o.onTarget >= share(k) })),
  { name: 'all messages on the target (verification or final commits)', kill: (o: Observation) => o.onTarget >= TOTAL },
];

let server: DovecotServer;
let state: { dir: string; remove(): void };
const alice: () => Side = () => ({ server, user: 'alice' });
const bob: () => Side = () => ({ server, user: 'bob' });

beforeAll(async () => {
  server = await startDovecot({ users: { alice: 'alice-pw', bob: 'bob-pw' } });
  let seed = 0;
  for (const spec of SPECS) {
    await dropIntoMaildir(server, 'alice', spec.folder, makeMessages(spec, seed));
    seed += spec.count;
  }
  state = tempDir();
});

afterAll(async () => {
  await server?.stop();
  state?.remove();
});

/** Message files and folder directories of bob's Maildir (fs layout: one directory per folder). */
function targetFiles(): { messages: number; folders: number } {
  let messages = 0;
  let folders = 0;
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    if (entries.includes('cur')) folders += 1;
    for (const entry of entries) {
      if (entry === 'cur' || entry === 'new') {
        try {
          messages += readdirSync(path.join(dir, entry)).length;
        } catch {
          // gone meanwhile
        }
      } else if (entry !== 'tmp' && !entry.startsWith('dovecot')) {
        try {
          if (statSync(path.join(dir, entry)).isDirectory()) walk(path.join(dir, entry));
        } catch {
          // gone meanwhile
        }
      }
    }
  };
  walk(server.maildirOf('bob'));
  return { messages, folders };
}

function walSignature(): string {
  try {
    const file = readdirSync(state.dir).find((name) => name.endsWith('.sqlite-wal'));
    if (!file) return '';
    const stats = statSync(path.join(state.dir, file), { bigint: true });
    return `${stats.size}:${stats.mtimeNs}`;
  } catch {
    return '';
  }
}

function lockHolder(): number | undefined {
  if (!existsSync(state.dir)) return undefined;
  const lock = readdirSync(state.dir).find((name) => name.endsWith('.sqlite.lock'));
  try {
    return lock ? (JSON.parse(readFileSync(path.join(state.dir, lock), 'utf8')) as { pid?: number }).pid : undefined;
  } catch {
    return undefined;
  }
}

/** Target messages the source does not hold, or holds fewer times: must never happen, even right after a kill. */
async function extraOnTarget(): Promise<string[]> {
  const extra: string[] = [];
  for (const folder of FOLDERS) {
    const source = counts((await readFolder(alice(), folder)).map((m) => `${m.id} ${m.size}`));
    for (const [key, n] of counts((await readFolder(bob(), folder)).map((m) => `${m.id} ${m.size}`))) {
      if (n > (source.get(key) ?? 0)) extra.push(`${folder}: ${key} held ${n}x, the source ${source.get(key) ?? 0}x`);
    }
  }
  return extra;
}

describe('migrate: SIGKILL during a migration', () => {
  it(`killed at ${MOMENTS.length} moments of a ${TOTAL}-message migration, each followed by a rerun: each message once on the target`, async () => {
    const kills: string[] = [];
    for (const moment of MOMENTS) {
      const running = startMigrate(alice(), bob(), state.dir, ['--max-connections', '2']);
      const pid = running.child.pid!;
      const started = performance.now();
      let wal = walSignature();
      let commits = 0;
      const commitsAt: { onTarget: number; commits: number }[] = [];
      let exited = false;
      let killed = false;
      void running.done.then(() => (exited = true));
      while (!exited) {
        const files = targetFiles();
        const now = walSignature();
        if (now !== wal) [wal, commits] = [now, commits + 1];
        commitsAt.push({ onTarget: files.messages, commits });
        const observation: Observation = {
          elapsed: performance.now() - started,
          pid,
          onTarget: files.messages,
          folders: files.folders,
          commitsSince: (since) => commits - (commitsAt.find((c) => c.onTarget >= since)?.commits ?? commits),
          lockHeldByRun: lockHolder() === pid,
        };
        if (moment.kill(observation)) {
          running.child.kill('SIGKILL');
          killed = true;
          break;
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      const run = await running.done;
      if (killed) expect(run.signal, describeAppRun(run)).toBe('SIGKILL');
      else expect(run.code, `${moment.name}: ended before the moment came, so it must have completed; ${describeAppRun(run)}`).toBe(0);
      kills.push(`${moment.name}: ${killed ? `killed with ${targetFiles().messages} on the target` : 'completed first'} after ${Math.round(run.ms)} ms`);
      console.log(kills.at(-1));
      expect(await extraOnTarget(), `after "${moment.name}"`).toEqual([]);
    }
    const last = await runMigrate(alice(), bob(), state.dir);
    expect(last.code, describeAppRun(last)).toBe(0);
    expect(last.summary).toMatchObject({ complete: true, verified: { selected: TOTAL, present: TOTAL, missing: 0 } });
    for (const folder of FOLDERS) expect(await folderDifferences(alice(), folder, bob(), folder), folder).toEqual([]);
    // Most moments must really have cut a run short, or the test proves little.
    expect(kills.filter((line) => line.includes('killed')).length, kills.join('\n')).toBeGreaterThanOrEqual(8);
  }, 170_000);
});
