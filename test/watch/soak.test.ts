// The bounded soak of issue 12, opt-in (it takes minutes): IMAPFW_SOAK=1
// (IMAPFW_SOAK_SECONDS, default 180). While `sync --watch` runs, random
// changes at random moments on both sides: deliveries, new local files,
// flag changes, deletions, moves between folders. At the end both sides
// hold the same messages, each once, nothing lost.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, imapClient, makeMessage } from '../support/messages.js';
import { localFolders } from '../mirror/helpers.js';
import { dropLocal, localFiles, moveLocal, serverView, setLocalFlags, syncDirs, type SyncDirs } from '../sync-app/support.js';
import { START_MS, stopDaemon, waitFor } from './support.js';

const USER = 'alice';
const SECONDS = Number(process.env.IMAPFW_SOAK_SECONDS ?? 180);
const FOLDERS = ['INBOX', 'Archive', 'Lists'];
let server: DovecotServer;
let dirs: SyncDirs;

beforeAll(async () => {
  server = await startDovecot();
  dirs = syncDirs();
});
afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

/** A reproducible generator (mulberry32), so that a failing soak can be replayed with its seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Per side, each Message-ID's folders. */
async function holdings(): Promise<Record<'server' | 'local', Map<string, string[]>>> {
  const sides = { server: new Map<string, string[]>(), local: new Map<string, string[]>() };
  for (const [folder, lines] of Object.entries(await serverView(server, USER))) for (const line of lines) sides.server.set(line.split(' ')[0]!, [...(sides.server.get(line.split(' ')[0]!) ?? []), folder]);
  for (const folder of localFolders(dirs.maildir)) for (const file of localFiles(dirs.maildir, folder)) sides.local.set(file.messageId!, [...(sides.local.get(file.messageId!) ?? []), folder]);
  return sides;
}

describe.skipIf(!process.env.IMAPFW_SOAK)('sync --watch soak', () => {
  it(`${SECONDS} s of random changes on both sides: both sides end equal, nothing lost or duplicated`, async () => {
    const seed = Number(process.env.IMAPFW_SOAK_SEED ?? Date.now() % 100_000);
    const next = random(seed);
    const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)]!;
    /** Message-ID -> whether it must exist at the end (false: deleted by a change). */
    const expected = new Map<string, boolean>();
    let n = 0;
    const fresh = () => {
      const id = `<soak-${seed}-${++n}@watch.test>`;
      expected.set(id, true);
      return { raw: makeMessage({ messageId: id, subject: `soak ${n}` }) };
    };
    for (const folder of FOLDERS) await appendMessages(server, USER, folder, [fresh(), fresh()]);
    const daemon = startApp('sync', ['--remote', server.url(USER), '--maildir', dirs.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', dirs.state, '--watch', '--interval', '5'], {
      env: { IMAPFW_TEST_PW: server.users[USER]! },
      timeoutMs: (SECONDS + 300) * 1000,
    });
    try {
      await waitFor('the first pass', () => FOLDERS.every((folder) => localFiles(dirs.maildir, folder).length >= 2), START_MS);
      const end = performance.now() + SECONDS * 1000;
      while (performance.now() < end) {
        const local = FOLDERS.flatMap((folder) => localFiles(dirs.maildir, folder).map((file) => ({ folder, file })));
        const action = next();
        try {
          if (action < 0.3) await appendMessages(server, USER, pick(FOLDERS), [fresh()]);
          else if (action < 0.55) dropLocal(dirs.maildir, pick(FOLDERS), [fresh()]);
          else if (action < 0.75 && local.length) {
            const { folder, file } = pick(local);
            setLocalFlags(dirs.maildir, folder, file.messageId!, pick([['\\Seen'], ['\\Flagged', '\\Seen'], []]));
          } else if (action < 0.85 && local.length) {
            const { folder, file } = pick(local);
            const to = pick(FOLDERS.filter((f) => f !== folder));
            moveLocal(dirs.maildir, folder, to, file.messageId!);
          } else if (action < 0.92 && local.length) {
            const { file } = pick(local);
            rmSync(file.path);
            expected.set(file.messageId!, false);
          } else {
            const client = await imapClient(server, USER);
            try {
              await client.mailboxOpen(pick(FOLDERS));
              await client.messageFlagsAdd('1:*', ['\\Answered']);
            } finally {
              await client.logout();
            }
          }
        } catch {
          // A file the daemon renamed meanwhile: that change is simply not made.
        }
        await new Promise((resolve) => setTimeout(resolve, next() * 1500));
      }
      await waitFor(
        'both sides to converge',
        async () => {
          const sides = await holdings();
          const same = JSON.stringify([...sides.server].sort()) === JSON.stringify([...sides.local].sort());
          return same && [...expected].every(([id, present]) => !present || sides.server.has(id));
        },
        START_MS,
      );
    } finally {
      const run = await stopDaemon(daemon);
      expect(run.code, `seed ${seed}: ${run.stderr.slice(-2000)}`).toBe(143);
    }
    const sides = await holdings();
    for (const [side, ids] of Object.entries(sides)) {
      expect([...ids].filter(([, folders]) => folders.length > 1), `seed ${seed}: ${side} duplicates`).toEqual([]);
      // A message may be deleted on one side while the other moves it: the deletion may then not win; nothing else is lost.
      for (const [id, present] of expected) if (present) expect(ids.has(id), `seed ${seed}: ${side} lost ${id}`).toBe(true);
    }
  }, (SECONDS + 600) * 1000);
});
