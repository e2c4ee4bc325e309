// The mirror against what a real network and a real server do to it: a
// connection dropped mid-run, a folder recreated with a new UIDVALIDITY;
// and the same mirror run by each engine backend.
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, imapClient, type SeedMessage } from '../support/messages.js';
import { startCuttingProxy, type CuttingProxy } from './cutting-proxy.js';
import { extraLocalMessages } from './extra-messages.js';
import {
  countLocalMessages,
  describeRun,
  localFileNames,
  mirrorDifferences,
  mirrorDirs,
  readLocalMaildir,
  readServer,
  readState,
  runMirror,
  seedAccount,
  sleep,
  startMirror,
  USER,
  type MirrorDirs,
  type MirrorRun,
  type RunningMirror,
  type SeedSpec,
} from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setUp(specs: SeedSpec[]): Promise<{ server: DovecotServer; dirs: MirrorDirs; seeded: Map<string, SeedMessage[]>; total: number }> {
  const server = await startDovecot();
  cleanups.push(() => server.stop());
  const dirs = mirrorDirs();
  cleanups.push(() => dirs.remove());
  const seeded = await seedAccount(server, specs);
  return { server, dirs, seeded, total: [...seeded.values()].flat().length };
}

/** The server seen through the proxy: the same account on another port. */
function throughProxy(server: DovecotServer, proxy: CuttingProxy): DovecotServer {
  return { ...server, url: (user) => `imap://${user}@127.0.0.1:${proxy.port}` };
}

/** Resolves once the Maildir holds `files` messages, or the run ended; returns how many it holds. */
async function filesReach(dirs: MirrorDirs, files: number, running: RunningMirror): Promise<number> {
  let ended = false;
  void running.done.then(() => (ended = true));
  while (!ended && countLocalMessages(dirs.maildir) < files) await sleep(5);
  return countLocalMessages(dirs.maildir);
}

function expectComplete(run: MirrorRun): void {
  expect(run.code, describeRun(run)).toBe(0);
  expect(run.summary, describeRun(run)).toMatchObject({ complete: true, errors: [] });
}

const DROP_SPECS: SeedSpec[] = [
  { folder: 'INBOX', count: 700, duplicates: 3, withoutMessageId: 4 },
  { folder: 'Archive', count: 500 },
];
const DROP_FOLDERS = DROP_SPECS.map((spec) => spec.folder);

describe('mirror: the connection drops mid-run', () => {
  it('cut once in the middle of the download: the run retries and completes, or exits 4 and the next run completes; no duplicate', async () => {
    const { server, dirs, total } = await setUp(DROP_SPECS);
    const proxy = await startCuttingProxy(server);
    cleanups.push(() => proxy.close());

    const running = startMirror(throughProxy(server, proxy), dirs);
    const filesAtCut = await filesReach(dirs, Math.round(total * 0.4), running);
    proxy.cutAll();
    const first = await running.done;
    // The cut happened while the run was copying, not before or after it.
    expect(proxy.cut, describeRun(first)).toBeGreaterThan(0);
    expect(filesAtCut).toBeGreaterThan(0);
    expect(filesAtCut).toBeLessThan(total);

    const runs = [first];
    if (first.code !== 0) {
      expect(first.code, describeRun(first)).toBe(4);
      runs.push(await runMirror(throughProxy(server, proxy), dirs));
    }
    expectComplete(runs.at(-1)!);
    console.log(`cut after ${proxy.bytesDown} bytes down at ${filesAtCut} of ${total} files: ${runs.map((run) => `exit ${run.code}, copied ${run.summary?.copied}`).join('; then ')}`);
    expect(runs.reduce((n, run) => n + (run.summary?.copied ?? 0), 0)).toBe(total);
    expect(await mirrorDifferences(server, dirs.maildir, DROP_FOLDERS)).toEqual([]);
  }, 150_000);

  it('cut and unreachable until the run gives up: exit 4 (network), then the next run completes what is missing, nothing twice', async () => {
    const { server, dirs, total } = await setUp(DROP_SPECS);
    const proxy = await startCuttingProxy(server);
    cleanups.push(() => proxy.close());

    const running = startMirror(throughProxy(server, proxy), dirs);
    await filesReach(dirs, Math.round(total * 0.4), running);
    proxy.cutAll({ refuse: true });
    const first = await running.done;
    expect(first.code, describeRun(first)).toBe(4);
    expect(first.summary?.complete, describeRun(first)).toBe(false);
    expect(first.summary?.errors.map((error) => error.code)).toContain('ENETWORK');
    const filesAfterFirst = countLocalMessages(dirs.maildir);
    expect(filesAfterFirst).toBeGreaterThan(0);
    expect(filesAfterFirst).toBeLessThan(total);
    expect(extraLocalMessages(await readServer(server, DROP_FOLDERS), dirs.maildir)).toEqual([]);

    proxy.heal();
    const second = await runMirror(throughProxy(server, proxy), dirs);
    expectComplete(second);
    expect(second.summary!.copied).toBe(total - filesAfterFirst);
    expect(await mirrorDifferences(server, dirs.maildir, DROP_FOLDERS)).toEqual([]);
  }, 150_000);
});

describe('mirror: UIDVALIDITY of a server folder changes', () => {
  it('a folder recreated with the same messages is re-paired by identity: nothing downloaded, the Maildir files unchanged', async () => {
    const specs: SeedSpec[] = [
      { folder: 'INBOX', count: 40 },
      { folder: 'Recreated', count: 120, duplicates: 2, withoutMessageId: 3 },
    ];
    const { server, dirs, seeded } = await setUp(specs);
    const first = await runMirror(server, dirs);
    expectComplete(first);
    const files = localFileNames(dirs.maildir);
    const uidValidity = async () => {
      const client = await imapClient(server, USER);
      try {
        const status = await client.status('Recreated', { uidValidity: true });
        return status ? status.uidValidity : undefined;
      } finally {
        await client.logout();
      }
    };
    const before = await uidValidity();

    // Delete the folder and store the same bytes and flags again.
    await server.doveadm(['mailbox', 'delete', '-u', USER, 'Recreated']);
    await dropIntoMaildir(server, USER, 'Recreated', seeded.get('Recreated')!);
    expect(await uidValidity()).not.toBe(before);

    const second = await runMirror(server, dirs);
    expectComplete(second);
    expect(second.summary).toMatchObject({ copied: 0, bytes: 0, deleted: 0, flagsChanged: 0 });
    expect(readState(dirs.state)).toEqual({ pairs: { INBOX: 40, Recreated: seeded.get('Recreated')!.length }, openIntents: 0 });
    expect(localFileNames(dirs.maildir)).toEqual(files);
    expect(await mirrorDifferences(server, dirs.maildir, ['INBOX', 'Recreated'])).toEqual([]);

    const third = await runMirror(server, dirs);
    expectComplete(third);
    expect(third.summary).toMatchObject({ copied: 0, paired: 0, deleted: 0, flagsChanged: 0 });
  }, 120_000);
});

describe('mirror: engine backends', () => {
  it('--backend thread, inline and pool make the same Maildir and the same summary', async () => {
    const specs: SeedSpec[] = [
      { folder: 'INBOX', count: 150, duplicates: 2, withoutMessageId: 2 },
      { folder: 'Archive/2024', count: 120 },
      { folder: 'Lists/dev', count: 90, withoutMessageId: 1 },
    ];
    const { server, total } = await setUp(specs);
    const results: Record<string, { maildir: Record<string, string[]>; counts: Record<string, unknown> }> = {};
    for (const backend of ['thread', 'inline', 'pool']) {
      const dirs = mirrorDirs();
      cleanups.push(() => dirs.remove());
      const run = await runMirror(server, dirs, { args: ['--backend', backend, '--max-connections', '2'] });
      expectComplete(run);
      const { folders, foldersCreated, copied, paired, deleted, flagsChanged, bytes } = run.summary!;
      results[backend] = {
        maildir: Object.fromEntries([...readLocalMaildir(dirs.maildir)].map(([folder, messages]) => [folder, messages.map((m) => `${m.id} ${m.size} ${m.flags.join(' ')}`).sort()])),
        counts: { folders, foldersCreated, copied, paired, deleted, flagsChanged, bytes },
      };
    }
    expect(results.thread!.counts.copied).toBe(total);
    expect(Object.keys(results.thread!.maildir)).toEqual(expect.arrayContaining(specs.map((spec) => spec.folder)));
    expect(results.inline).toEqual(results.thread);
    expect(results.pool).toEqual(results.thread);
  }, 150_000);
});
