// The mirror against a server that stops answering in the middle of a
// download, or dribbles: the run ends within a bounded time with exit code 4
// and a message that names the stall; healed, the next run completes with
// every message exactly once.
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startStallingProxy, type Misbehaviour, type StallingProxy } from '../support/stalling-proxy.js';
import { extraLocalMessages } from './extra-messages.js';
import { countLocalMessages, describeRun, mirrorDifferences, mirrorDirs, readServer, runMirror, seedAccount, type SeedSpec } from './support.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SPECS: SeedSpec[] = [
  { folder: 'INBOX', count: 150 },
  { folder: 'Archive', count: 100 },
  { folder: 'Lists', count: 50 },
];
const FOLDERS = SPECS.map((spec) => spec.folder);

function throughProxy(server: DovecotServer, proxy: StallingProxy): DovecotServer {
  return { ...server, url: (user) => `imap://${user}@127.0.0.1:${proxy.port}` };
}

describe('mirror: a server that stalls or dribbles', () => {
  for (const how of [
    { kind: 'stall', after: 200_000 },
    { kind: 'dribble', after: 200_000, everyMs: 200 },
  ] satisfies Misbehaviour[]) {
    it(`${how.kind}s in the middle of the bodies: exit 4 naming the stall, then a healed run completes, nothing twice`, async () => {
      const server = await startDovecot();
      cleanups.push(() => server.stop());
      const dirs = mirrorDirs();
      cleanups.push(() => dirs.remove());
      const total = [...(await seedAccount(server, SPECS)).values()].flat().length;
      const proxy = await startStallingProxy(server);
      cleanups.push(() => proxy.close());

      proxy.arm(/UID FETCH [^\r\n]*BODY/i, how);
      // The harness kills a run still alive after 60 s: a hang fails the test. A healthy login on this
      // shared machine can take over a second, hence 3 s rather than 1.
      const first = await runMirror(throughProxy(server, proxy), dirs, { args: ['--timeout', '3', '--max-connections', '2'], timeoutMs: 60_000 });
      expect(first.code, describeRun(first)).toBe(4);
      expect(first.summary?.complete).toBe(false);
      const stalls = first.summary!.errors.filter((error) => error.code === 'ENETWORK');
      expect(stalls.length, describeRun(first)).toBeGreaterThan(0);
      expect(stalls[0]!.message).toMatch(how.kind === 'stall' ? /fetch in "\w+" on .* stalled, UID FETCH: no data for 3 s/ : /stalled, UID FETCH: only \d+ byte\(s\) in the last 3 s/);
      const after = countLocalMessages(dirs.maildir);
      expect(after).toBeLessThan(total);
      expect(extraLocalMessages(await readServer(server, FOLDERS), dirs.maildir)).toEqual([]);

      proxy.heal();
      // The default deadline: on this shared machine a healthy login can take over a second.
      const second = await runMirror(throughProxy(server, proxy), dirs);
      expect(second.code, describeRun(second)).toBe(0);
      expect(second.summary!.copied).toBe(total - after);
      expect(await mirrorDifferences(server, dirs.maildir, FOLDERS)).toEqual([]);
    }, 120_000);
  }
});
