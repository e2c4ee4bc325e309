// The watch loop (WatchAccount) on an injected clock, with the sides
// replaced by scripted stand-ins of its own seams (a pass function, a
// server watcher): offline backoff by the rule, a refused login, a resume
// from sleep, changed folders only, requests while paused. The real sides
// are exercised against Dovecot in the other tests of this directory.
import { afterEach, describe, expect, it } from 'vitest';
import { NetworkError, AuthError } from '../../src/api/errors.js';
import { emptyFolderReport } from '../../src/api/engines/folder-report.js';
import type { AccountReport } from '../../src/api/engines/sync-account.js';
import type { ServerChanges, ServerWatchRequest } from '../../src/api/repositories/imap-watch.js';
import { WatchAccount, type ServerWatcher } from '../../src/api/watch/watch-account.js';
import { FakeClock, settle } from './fake-clock.js';

const report = (folders: string[], copied = 0): AccountReport => ({
  folders: folders.map((name) => ({ ...emptyFolderReport(name, name), copied: { left: 0, right: copied } })),
  createdFolders: [],
  removedFolders: [],
  keptFolders: [],
  errors: [],
  skipped: [],
  seconds: 0.1,
});

/** A pass that records when and over what it ran, and fails while `failing` says so. */
class ScriptedPasses {
  calls: { at: number; only?: string[] }[] = [];
  failing: (() => Error) | undefined;
  constructor(private readonly clock: FakeClock) {}
  run = async (only?: string[]): Promise<AccountReport> => {
    this.calls.push({ at: this.clock.monotonic(), ...(only ? { only } : {}) });
    if (this.failing) throw this.failing();
    return report(only ?? ['INBOX', 'Archive']);
  };
}

/** A server watcher whose waits the test ends: with changes, or by dropping the connection. */
class ScriptedServer implements ServerWatcher {
  private pending: { resolve(changes: ServerChanges): void; reject(error: Error): void } | undefined;
  calls = 0;
  reconnects = 0;
  changes(_request: ServerWatchRequest): Promise<ServerChanges> {
    this.calls++;
    return new Promise((resolve, reject) => (this.pending = { resolve, reject }));
  }
  report(folders: string[]): void {
    this.pending?.resolve({ folders, modes: { INBOX: 'idle', Archive: 'poll' } });
  }
  async interrupt(): Promise<void> {
    this.pending?.resolve({ folders: [], modes: {} });
  }
  async reconnect(): Promise<void> {
    this.reconnects++;
    this.pending?.reject(new NetworkError('connection closed'));
  }
}

const network = () => new NetworkError('connect ECONNREFUSED 127.0.0.1:993');

describe('WatchAccount', () => {
  let loop: WatchAccount | undefined;
  afterEach(async () => {
    await loop?.stop();
  });

  function start(clock: FakeClock, passes: ScriptedPasses, server?: ScriptedServer) {
    loop = new WatchAccount({
      account: 'test',
      remote: 'imap://me@example.org',
      maildir: '/tmp/none',
      pass: passes.run,
      ...(server ? { server } : {}),
      intervalMs: 300_000,
      backoff: { jitter: 0 },
      clock,
    });
    loop.start();
    return loop;
  }

  it('offline: retries at 10 s, 20 s, 40 s ... after the first attempt, resyncs everything once back, and starts the rule over', async () => {
    const clock = new FakeClock();
    const passes = new ScriptedPasses(clock);
    passes.failing = network;
    const watch = start(clock, passes);
    await clock.advance(0);
    const t0 = passes.calls[0]!.at;
    await clock.advance(10_000 + 20_000 + 40_000 + 80_000 - 1);
    expect(passes.calls.map((call) => call.at - t0)).toEqual([0, 10_000, 30_000, 70_000]);
    expect(watch.status().connection).toBe('backing-off');
    expect(Date.parse(watch.status().nextRetryAt!)).toBe(clock.wall() + 1);

    passes.failing = undefined;
    await clock.advance(1);
    expect(passes.calls.at(-1)).toEqual({ at: t0 + 150_000 });
    expect(watch.status().connection).toBe('connected');
    expect(watch.status().lastPass?.exitCode).toBe(0);

    // A failure after a success waits 10 s again.
    passes.failing = network;
    await watch.syncNow(['INBOX']);
    const failedAt = clock.monotonic();
    await clock.advance(10_000);
    expect(passes.calls.at(-1)!.at - failedAt).toBe(10_000);
  });

  it('a refused login is shown and retried only at the longest interval', async () => {
    const clock = new FakeClock();
    const passes = new ScriptedPasses(clock);
    passes.failing = () => new AuthError('the server refused the login of me@example.org: check the password');
    const watch = start(clock, passes);
    await clock.advance(299_999);
    expect(passes.calls).toHaveLength(1);
    expect(watch.status().connection).toBe('login-refused');
    expect(watch.status().lastError?.code).toBe('EAUTH');
    await clock.advance(1);
    expect(passes.calls).toHaveLength(2);
  });

  it('syncs only the folders the server reports, and a request runs even while paused', async () => {
    const clock = new FakeClock();
    const passes = new ScriptedPasses(clock);
    const server = new ScriptedServer();
    const watch = start(clock, passes, server);
    await clock.advance(0);
    expect(passes.calls).toEqual([{ at: clock.monotonic() }]);
    server.report(['Archive']);
    await clock.advance(0);
    expect(passes.calls.at(-1)?.only).toEqual(['Archive']);
    expect(watch.status().folders.find((folder) => folder.name === 'Archive')?.mode).toBe('poll');

    watch.pause();
    server.report(['INBOX']);
    await clock.advance(60_000);
    expect(passes.calls).toHaveLength(2);
    const asked = await watch.syncNow(['Lists']);
    expect(asked.folders.map((folder) => folder.left)).toEqual(['INBOX', 'Lists']);
    watch.resumePasses();
    await clock.advance(0);
    expect(passes.calls).toHaveLength(3);
  });

  it('a resume from sleep (the wall clock jumped past the monotonic one) reconnects and resyncs every folder at once', async () => {
    const clock = new FakeClock();
    const passes = new ScriptedPasses(clock);
    const server = new ScriptedServer();
    start(clock, passes, server);
    await clock.advance(0);
    server.report(['INBOX']);
    await clock.advance(1_000);
    const before = passes.calls.length;
    const callsBefore = server.calls;
    clock.suspend(2 * 60 * 60_000);
    await clock.advance(10_000); // the detector's next look
    expect(server.reconnects).toBe(1);
    expect(passes.calls.length).toBe(before + 1);
    expect(passes.calls.at(-1)?.only).toBeUndefined();
    // The watcher listens again at once, not after a backoff.
    await settle();
    expect(server.calls).toBe(callsBefore + 1);
  });

  it('a wait for the server that came back far past its time counts as a resume too', async () => {
    const clock = new FakeClock();
    const passes = new ScriptedPasses(clock);
    const server = new ScriptedServer();
    start(clock, passes, server);
    await clock.advance(0);
    const before = passes.calls.length;
    // Both clocks moved (the detector sees nothing), but the wait asked for 5 minutes took 3 hours.
    await clock.advance(3 * 60 * 60_000 - 5);
    passes.calls.length = before;
    server.report([]);
    await clock.advance(0);
    expect(server.reconnects).toBe(1);
    expect(passes.calls.length).toBeGreaterThan(before);
    expect(passes.calls.at(-1)?.only).toBeUndefined();
  });
});
