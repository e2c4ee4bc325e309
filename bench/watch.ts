// The daemon's scenario (`npm run bench -- watch`), imapfw alone, on the main
// corpus mirrored once (set-up): with `mirror --watch`, the latency of spaced
// deliveries to the server until they are in the Maildir, and the peak RSS
// after the first change cycles and after all of them; with `sync --watch`,
// the idle CPU, the latency of local flag changes until the server has them,
// and the wall time of one-shot syncs handed to the daemon with nothing to do.
import { readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { imapClient, makeMessage } from '../test/support/messages.js';
import { newMirror, nextLogBase, runMirror, type Account, type Mirror } from './contenders.js';
import { measure } from './measure.js';
import { DaemonProcess } from './daemon-process.js';
import { folderCondition, messageFiles } from './maildir-probe.js';
import { below, randomFrom, seedOf } from './random.js';
import { folderDir } from './verify.js';

export interface WatchSettings {
  seed: number;
  /** Spaced deliveries, and as many spaced local flag changes. */
  changes: number;
  /** Change cycles (a delivery and its expunge) for the memory figure. */
  cycles: number;
  idleSeconds: number;
}

export interface WatchResult {
  messages: number;
  /** Seconds from APPEND sent to the file in the Maildir. */
  push: number[];
  /** Seconds from the file renamed to the server's FETCH showing the flag. */
  flags: number[];
  idle: { cpuSeconds: number; seconds: number };
  /** Bytes, after the first EARLY_CYCLES cycles and after all. */
  memory: { cycles: number; early: { peak: number; now: number }; late: { peak: number; now: number } };
  /** Seconds of wall time of each one-shot `imapfw sync` handed to the daemon. */
  handOffs: number[];
  /** Seconds of wall time of `node -e 0`, run before each hand-off: what Node's start-up alone costs now. */
  nodeStarts: number[];
}

export const EARLY_CYCLES = 10;
const HAND_OFFS = 7;
/** A change waits this long at most (a miss is an error, not a slow figure). */
const CHANGE_MS = 60_000;
/** Between two measured changes: this much plus up to as much again at random, so that none is batched with the last. */
const SPACING_MS = 1000;
const IDLE_SETTLE_MS = 5000;
const FLAG_POLL_MS = 20;

export async function benchWatch(account: Account, messages: number, workDir: string, imapfw: string, settings: WatchSettings, log: (line: string) => void): Promise<WatchResult> {
  const mirror = await setUp(account, path.join(workDir, 'watch-mirror'), 'mirror', imapfw, log);
  const mirrorDaemon = DaemonProcess.start(mirror, imapfw);
  let push: number[];
  let memory: WatchResult['memory'];
  try {
    await mirrorDaemon.firstPass();
    push = await pushLatencies(mirror, settings, log);
    memory = await changeCycles(mirror, mirrorDaemon, settings.cycles, log);
  } finally {
    await mirrorDaemon.stop();
  }

  const sync = await setUp(account, path.join(workDir, 'watch-sync'), 'sync', imapfw, log);
  const syncDaemon = DaemonProcess.start(sync, imapfw);
  try {
    await syncDaemon.firstPass();
    const idle = await idleCpu(syncDaemon, settings.idleSeconds, log);
    const flags = await flagLatencies(sync, settings, log);
    const { handOffs, nodeStarts } = await handOffWalls(sync, imapfw, log);
    return { messages, push, flags, idle, memory, handOffs, nodeStarts };
  } finally {
    await syncDaemon.stop();
  }
}

/** A fresh Maildir brought in step with the server by one one-shot run (not measured, without fsync). */
async function setUp(account: Account, dir: string, mode: Mirror['mode'], imapfw: string, log: (line: string) => void): Promise<Mirror> {
  const mirror = await newMirror('imapfw', account, dir, mode);
  await runMirror(mirror, imapfw, { fsync: false });
  log(`watch: ${mode === 'mirror' ? 'mirrored' : 'synced'} ${account.user} once (set-up, not measured); starting ${mode} --watch`);
  return mirror;
}

/** Spaced APPENDs to INBOX, each timed until its file is in the Maildir. */
async function pushLatencies(mirror: Mirror, settings: WatchSettings, log: (line: string) => void): Promise<number[]> {
  const inbox = folderDir(mirror.maildir, 'INBOX');
  const random = randomFrom(seedOf(settings.seed, 'watch deliveries'));
  const client = await imapClient(mirror.account.server, mirror.account.user);
  const latencies: number[] = [];
  try {
    for (let i = 1; i <= settings.changes; i++) {
      await sleep(SPACING_MS + below(random, SPACING_MS));
      const before = messageFiles(inbox).length;
      const started = performance.now();
      await client.append('INBOX', makeMessage({ messageId: `<watch-push-${i}@bench.test>`, subject: `delivery ${i}`, size: 3000 + below(random, 30_000) }));
      await folderCondition(inbox, () => messageFiles(inbox).length > before, CHANGE_MS, `delivery ${i} in the Maildir`);
      latencies.push((performance.now() - started) / 1000);
      if (i % 25 === 0) log(`watch: ${i}/${settings.changes} deliveries pushed`);
    }
  } finally {
    await client.logout();
  }
  return latencies;
}

/**
 * Change cycles as fast as the daemon follows: each delivers a message to
 * INBOX and expunges the last cycle's, and waits until the Maildir shows
 * both (one wait: Dovecot itself holds its notifications back 0.5 s).
 */
async function changeCycles(mirror: Mirror, daemon: DaemonProcess, cycles: number, log: (line: string) => void): Promise<WatchResult['memory']> {
  const inbox = folderDir(mirror.maildir, 'INBOX');
  const client = await imapClient(mirror.account.server, mirror.account.user);
  const count = messageFiles(inbox).length;
  let early: WatchResult['memory']['early'] | undefined;
  let last: number | undefined;
  try {
    await client.mailboxOpen('INBOX');
    for (let i = 1; i <= cycles; i++) {
      const before = new Set(messageFiles(inbox).map((file) => path.basename(file)));
      const appended = await client.append('INBOX', makeMessage({ messageId: `<watch-cycle-${i}@bench.test>`, subject: `cycle ${i}`, size: 5000 }));
      if (!appended || !appended.uid) throw new Error('the server gave no APPENDUID');
      if (last !== undefined) await client.messageDelete(String(last), { uid: true });
      last = appended.uid;
      // Done when the folder holds one file more than before the first cycle, one of them new (a flag change renames a file: none here).
      await folderCondition(inbox, () => {
        const files = messageFiles(inbox);
        return files.length === count + 1 && files.some((file) => !before.has(path.basename(file)));
      }, CHANGE_MS, `cycle ${i} in the Maildir`);
      if (i === Math.min(EARLY_CYCLES, cycles)) early = daemon.memory();
      if (i % 100 === 0) log(`watch: ${i}/${cycles} change cycles, RSS ${Math.round(daemon.memory().now / 2 ** 20)} MiB`);
    }
  } finally {
    await client.logout();
  }
  return { cycles, early: early!, late: daemon.memory() };
}

/** The daemon's CPU time over `seconds` while nothing changes, after a settle. */
async function idleCpu(daemon: DaemonProcess, seconds: number, log: (line: string) => void): Promise<WatchResult['idle']> {
  await sleep(IDLE_SETTLE_MS);
  const [cpu, started] = [daemon.cpuSeconds(), performance.now()];
  log(`watch: idle for ${seconds} s`);
  await sleep(seconds * 1000);
  return { cpuSeconds: daemon.cpuSeconds() - cpu, seconds: (performance.now() - started) / 1000 };
}

/** Spaced renames toggling F on a random INBOX message in cur/, each timed until the server's FETCH shows it. */
async function flagLatencies(sync: Mirror, settings: WatchSettings, log: (line: string) => void): Promise<number[]> {
  const inbox = folderDir(sync.maildir, 'INBOX');
  const random = randomFrom(seedOf(settings.seed, 'watch flags'));
  const client = await imapClient(sync.account.server, sync.account.user);
  const latencies: number[] = [];
  try {
    await client.mailboxOpen('INBOX', { readOnly: true });
    const uidOf = new Map<string, number>();
    for await (const message of client.fetch('1:*', { uid: true, envelope: true })) if (message.envelope?.messageId) uidOf.set(message.envelope.messageId, message.uid);
    for (let i = 1; i <= settings.changes; i++) {
      await sleep(SPACING_MS + below(random, SPACING_MS));
      const files = messageFiles(inbox).filter((file) => path.basename(path.dirname(file)) === 'cur' && /:2,[A-Za-z]*$/.test(file));
      // Some corpus messages have no Message-ID in their header (a blank line ends it early): the next file then.
      let [file, uid] = ['', 0];
      for (let tries = 0; !uid && tries < 100; tries++) {
        file = files[below(random, files.length)]!;
        uid = uidOf.get(headerMessageId(file) ?? '') ?? 0;
      }
      if (!uid) throw new Error(`no INBOX message of ${inbox} found on the server by its Message-ID`);
      const [, base, letters] = /^(.*:2,)([A-Za-z]*)$/.exec(file)!;
      const flagged = !letters!.includes('F');
      const started = performance.now();
      renameSync(file, base + (flagged ? [...letters!, 'F'].sort().join('') : letters!.replace('F', '')));
      for (;;) {
        const message = await client.fetchOne(String(uid), { flags: true }, { uid: true });
        if (message && message.flags?.has('\\Flagged') === flagged) break;
        if (performance.now() - started > CHANGE_MS) throw new Error(`waited ${CHANGE_MS / 1000} s for flag change ${i} on the server`);
        await sleep(FLAG_POLL_MS);
      }
      latencies.push((performance.now() - started) / 1000);
      if (i % 25 === 0) log(`watch: ${i}/${settings.changes} flag changes on the server`);
    }
  } finally {
    await client.logout();
  }
  return latencies;
}

/** The Message-ID in a message file's header, if any. */
function headerMessageId(file: string): string | undefined {
  const header = readFileSync(file, 'latin1').slice(0, 16_384).split(/\r?\n\r?\n/)[0]!;
  return /^Message-ID:\s*(<[^>\r\n]+>)/im.exec(header)?.[1];
}

/**
 * One-shot `imapfw sync` runs of the daemon's account with nothing to do:
 * while the daemon holds the account's lock, a run that succeeds is one it
 * handed to the daemon (else it fails on the lock).
 */
async function handOffWalls(sync: Mirror, imapfw: string, log: (line: string) => void): Promise<Pick<WatchResult, 'handOffs' | 'nodeStarts'>> {
  const result: Pick<WatchResult, 'handOffs' | 'nodeStarts'> = { handOffs: [], nodeStarts: [] };
  for (let i = 0; i < HAND_OFFS; i++) {
    result.nodeStarts.push((await measure(process.execPath, ['-e', '0'], { logBase: nextLogBase(sync.dir, 'node') })).wall);
    const run = await runMirror(sync, imapfw);
    if (run.summary!.copied !== 0 || run.summary!.flagsChanged !== 0) throw new Error(`a hand-off found something to do: ${JSON.stringify(run.summary)}`);
    result.handOffs.push(run.wall);
  }
  log(`watch: ${HAND_OFFS} one-shot syncs handed to the daemon`);
  return result;
}
