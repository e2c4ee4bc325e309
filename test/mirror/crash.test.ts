// DESIGN §5, crash safety: an initial mirror of 2,000+ messages is killed
// with SIGKILL at many moments spread over the run (start-up, each tenth of
// the messages, right after state commits), and run again each time. No
// run may leave a duplicate behind; the last one completes, and the Maildir
// then holds exactly the server's messages: each once, flags equal.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { safeHostname } from '../../src/core/maildir/unique-name.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { extraLocalMessages } from './extra-messages.js';
import {
  countLocalMessages,
  countLocalTmpFiles,
  describeRun,
  mirrorDifferences,
  mirrorDirs,
  readServer,
  readState,
  runMirror,
  seedAccount,
  startMirror,
  walSignature,
  type MirrorDirs,
  type SeedSpec,
} from './support.js';

const SPECS: SeedSpec[] = [
  { folder: 'INBOX', count: 900, duplicates: 4, withoutMessageId: 6 },
  { folder: 'Archive', count: 650, withoutMessageId: 3 },
  { folder: 'Lists/dev', count: 500, duplicates: 2 },
];
const FOLDERS = SPECS.map((spec) => spec.folder);
const TOTAL = SPECS.reduce((n, spec) => n + spec.count + (spec.duplicates ?? 0), 0);

/** What a kill trigger sees at each poll of a running mirror. */
interface Observation {
  /** Milliseconds since the process was spawned. */
  elapsed: number;
  pid: number;
  /** Message files in the Maildir now, and when this run started. */
  files: number;
  filesAtStart: number;
  /** Local folder directories that exist. */
  folders: number;
  /** State commits seen in this run (WAL changes), and since `files` first reached `since`. */
  commits: number;
  commitsSince(files: number): number;
  lockHeldByRun: boolean;
}

interface Moment {
  name: string;
  kill(o: Observation): boolean;
}

const fraction = (k: number) => Math.ceil((TOTAL * k) / 10);

/**
 * `k` tenths of the messages in the Maildir; when an earlier run already
 * got past that, 2.5% more than this run started with instead, so that
 * every kill falls at a point this run really reached by copying.
 */
const threshold = (o: Observation, k: number) => Math.max(fraction(k), o.filesAtStart + fraction(0.25));
const reached = (o: Observation, k: number) => o.files >= threshold(o, k);

/** In run order: each run is killed at the next moment, then the next run starts. */
const MOMENTS: Moment[] = [
  { name: 'start-up, 150 ms after spawn (modules loading)', kill: (o) => o.elapsed >= 150 },
  { name: 'start-up, the state database just opened (account lock taken)', kill: (o) => o.lockHeldByRun },
  { name: 'start-up, local folders created, no message copied yet', kill: (o) => o.folders >= FOLDERS.length || o.files > 0 },
  { name: 'first state commits (folder pairs, first intents), no message yet', kill: (o) => o.commits >= 4 || o.files > 0 },
  ...[1, 2, 3].map((k) => ({ name: `${k * 10}% of the messages in the Maildir (or 2.5% more than at start)`, kill: (o: Observation) => reached(o, k) })),
  { name: 'right after a state commit, past 35%', kill: (o) => reached(o, 3.5) && o.commitsSince(threshold(o, 3.5)) >= 1 },
  ...[4, 5, 6].map((k) => ({ name: `${k * 10}% of the messages in the Maildir (or 2.5% more than at start)`, kill: (o: Observation) => reached(o, k) })),
  { name: 'right after the second state commit past 65%', kill: (o) => reached(o, 6.5) && o.commitsSince(threshold(o, 6.5)) >= 2 },
  ...[7, 8, 9].map((k) => ({ name: `${k * 10}% of the messages in the Maildir (or 2.5% more than at start)`, kill: (o: Observation) => reached(o, k) })),
  { name: 'right after a state commit, past 95%', kill: (o) => reached(o, 9.5) && o.commitsSince(threshold(o, 9.5)) >= 1 },
];

interface Kill {
  moment: string;
  killed: boolean;
  elapsedMs: number;
  filesAtKill: number;
  filesBefore: number;
}

let server: DovecotServer;
let dirs: MirrorDirs;

beforeAll(async () => {
  server = await startDovecot();
  await seedAccount(server, SPECS);
  dirs = mirrorDirs();
});

afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

/** Runs the mirror until `moment` says kill (SIGKILL), or until it ends by itself. */
async function runUntil(moment: Moment): Promise<Kill> {
  const filesAtStart = countLocalMessages(dirs.maildir);
  const running = startMirror(server, dirs, { timeoutMs: 90_000 });
  const pid = running.child.pid!;
  const started = performance.now();
  let wal = walSignature(dirs.state);
  let commits = 0;
  const commitsAt: { files: number; commits: number }[] = [];
  let killedAt: { elapsed: number; files: number } | undefined;
  let exited = false;
  void running.done.then(() => (exited = true));

  while (!exited && !killedAt) {
    const files = countLocalMessages(dirs.maildir);
    const now = walSignature(dirs.state);
    if (now !== wal) {
      wal = now;
      commits += 1;
    }
    commitsAt.push({ files, commits });
    const observation: Observation = {
      elapsed: performance.now() - started,
      pid,
      files,
      filesAtStart,
      folders: localFolderCount(),
      commits,
      commitsSince: (threshold) => commits - (commitsAt.find((c) => c.files >= threshold)?.commits ?? commits),
      lockHeldByRun: lockHolder() === pid,
    };
    if (moment.kill(observation)) {
      running.child.kill('SIGKILL');
      killedAt = { elapsed: observation.elapsed, files };
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const run = await running.done;
  if (!killedAt) {
    // It ended before the moment came: it must have completed.
    expect(run.code, describeRun(run)).toBe(0);
  } else {
    expect(run.signal, describeRun(run)).toBe('SIGKILL');
  }
  return {
    moment: moment.name,
    killed: killedAt !== undefined && run.signal === 'SIGKILL',
    elapsedMs: Math.round(killedAt?.elapsed ?? run.ms),
    filesAtKill: countLocalMessages(dirs.maildir),
    filesBefore: filesAtStart,
  };
}

function localFolderCount(): number {
  if (!existsSync(dirs.maildir)) return 0;
  return readdirSync(dirs.maildir).filter((entry) => entry.startsWith('.') && existsSync(path.join(dirs.maildir, entry, 'cur'))).length + 1;
}

/** The pid in the account lock file, if there is one. */
function lockHolder(): number | undefined {
  if (!existsSync(dirs.state)) return undefined;
  const lock = readdirSync(dirs.state).find((name) => name.endsWith('.sqlite.lock'));
  if (!lock) return undefined;
  try {
    return (JSON.parse(readFileSync(path.join(dirs.state, lock), 'utf8')) as { pid?: number }).pid;
  } catch {
    return undefined;
  }
}

/** The pid of a process that has exited. */
function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', () => resolve(child.pid!));
  });
}

describe('mirror: SIGKILL during an initial mirror', () => {
  it(
    `killed at ${MOMENTS.length} moments of a ${TOTAL}-message mirror, each followed by a rerun: no loss, no duplicate`,
    async () => {
      const serverMessages = await readServer(server, FOLDERS);
      expect([...serverMessages.values()].reduce((n, list) => n + list.length, 0)).toBe(TOTAL);

      const kills: Kill[] = [];
      for (const moment of MOMENTS) {
        const kill = await runUntil(moment);
        kills.push(kill);
        // Whatever the moment, what is in the Maildir is on the server, once.
        expect(extraLocalMessages(serverMessages, dirs.maildir), `after the kill at "${moment.name}"`).toEqual([]);
      }
      const tmpLeftovers = countLocalTmpFiles(dirs.maildir);

      const last = await runMirror(server, dirs);
      expect(last.code, describeRun(last)).toBe(0);
      expect(last.summary?.complete, describeRun(last)).toBe(true);
      expect(await mirrorDifferences(server, dirs.maildir, FOLDERS)).toEqual([]);
      expect(countLocalMessages(dirs.maildir)).toBe(TOTAL);

      const again = await runMirror(server, dirs);
      expect(again.code, describeRun(again)).toBe(0);
      expect(again.summary).toMatchObject({ copied: 0, deleted: 0, flagsChanged: 0, errors: [] });

      const state = readState(dirs.state);
      expect(state.openIntents).toBe(0);
      expect(state.pairs).toEqual(Object.fromEntries(SPECS.map((spec) => [spec.folder, spec.count + (spec.duplicates ?? 0)])));

      // The moments really were spread over the run: at least 10 kills, at distinct points.
      const killed = kills.filter((kill) => kill.killed);
      console.log(
        [
          `${killed.length} kills of ${kills.length} runs; then ${Math.round(last.ms)} ms to finish (copied ${last.summary?.copied}, paired ${last.summary?.paired}), ${Math.round(again.ms)} ms for a run with nothing to do; ${tmpLeftovers} tmp/ leftovers`,
          ...kills.map((k) => `  ${k.killed ? 'killed' : 'ended '} after ${k.elapsedMs} ms at ${k.filesBefore} -> ${k.filesAtKill} files: ${k.moment}`),
        ].join('\n'),
      );
      expect(killed.length).toBeGreaterThanOrEqual(10);
      expect(new Set(killed.map((k) => k.filesAtKill)).size).toBeGreaterThanOrEqual(9);
      expect(killed.filter((k) => k.filesAtKill === 0).length).toBeGreaterThanOrEqual(3);

      // A killed run's half-written file in tmp/ (our name, this host, a pid that is gone) goes with the next
      // delivery into its folder; another program's fresh file there stays (for 36 hours).
      const deadPid = await exitedPid();
      for (const folder of FOLDERS) {
        const tmp = path.join(dirs.maildir, folder === 'INBOX' ? '' : `.${folder.replace('/', '.')}`, 'tmp');
        writeFileSync(path.join(tmp, `${Math.floor(Date.now() / 1000)}.M1P${deadPid}Q1R0badc0de.${safeHostname()},S=5,W=5`), 'half ');
      }
      const foreign = path.join(dirs.maildir, 'tmp', 'another-programs-delivery');
      writeFileSync(foreign, 'in progress');
      for (const folder of FOLDERS) await appendMessages(server, 'alice', folder, [{ raw: makeMessage({ subject: `after the kills, ${folder}` }) }]);
      const delivering = await runMirror(server, dirs);
      expect(delivering.summary, describeRun(delivering)).toMatchObject({ copied: FOLDERS.length, errors: [] });
      expect(await mirrorDifferences(server, dirs.maildir, FOLDERS)).toEqual([]);
      expect(countLocalTmpFiles(dirs.maildir)).toBe(1);
      expect(existsSync(foreign)).toBe(true);
    },
    240_000,
  );
});
