// DESIGN §5 for the daemon: `sync --watch` is killed with SIGKILL at five
// moments of a busy period (start-up; the first pass copying; deliveries on
// the server being pulled; new local files being pushed; both at once) and
// started again each time. After every kill no Message-ID is held twice on
// a side; the last daemon converges: both sides hold every message, once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaemonClient } from '../../src/api/index.js';
import { startApp, type RunningApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, type SeedMessage } from '../support/messages.js';
import { localFolders } from '../mirror/helpers.js';
import { countLocalMessages, makeMessages } from '../mirror/support.js';
import { countServerFiles, dropLocal, localFiles, serverView, syncDirs, type SyncDirs } from '../sync-app/support.js';
import { START_MS, stopDaemon, waitFor } from './support.js';

const USER = 'alice';
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

const messageIdOf = (message: SeedMessage) => /^Message-ID: (\S+)/im.exec(message.raw.toString('latin1'))![1]!;

function startDaemon(): RunningApp<unknown> {
  return startApp('sync', ['--remote', server.url(USER), '--maildir', dirs.maildir, '--password-env', 'IMAPFW_TEST_PW', '--state-dir', dirs.state, '--watch', '--interval', '2'], {
    env: { IMAPFW_TEST_PW: server.users[USER]!, IMAPFW_WATCH_BACKOFF: '500:2000' },
    timeoutMs: 300_000,
  });
}


/** Whether the daemon serving the state dir answers on its control socket with a pass ended. */
async function passEnded(): Promise<boolean> {
  const client = await DaemonClient.connect(dirs.state);
  try {
    return (await client.status()).accounts.some((account) => account.lastPass !== undefined);
  } finally {
    client.close();
  }
}

/** Per side, each Message-ID's folders. */
async function holdings(): Promise<Record<'server' | 'local', Map<string, string[]>>> {
  const sides = { server: new Map<string, string[]>(), local: new Map<string, string[]>() };
  for (const [folder, lines] of Object.entries(await serverView(server, USER))) {
    for (const line of lines) {
      const id = line.split(' ')[0]!;
      sides.server.set(id, [...(sides.server.get(id) ?? []), folder]);
    }
  }
  for (const folder of localFolders(dirs.maildir)) {
    for (const file of localFiles(dirs.maildir, folder)) sides.local.set(file.messageId!, [...(sides.local.get(file.messageId!) ?? []), folder]);
  }
  return sides;
}

function duplicates(sides: Awaited<ReturnType<typeof holdings>>): string[] {
  return Object.entries(sides).flatMap(([side, ids]) => [...ids].filter(([, folders]) => folders.length > 1).map(([id, folders]) => `${side}: ${id} in ${folders.join(', ')}`));
}

interface Moment {
  name: string;
  /** What happens on the sides when this daemon has started. */
  changes?(): Promise<void>;
  kill(o: { elapsed: number; local: number; server: number; localAtStart: number; serverAtStart: number }): boolean;
}

describe('sync --watch: SIGKILL during a busy period', () => {
  it('killed at 5 moments and started again each time: no loss, no duplicate', async () => {
    const expected = new Map<string, string>();
    const onServer = async (folder: string, messages: SeedMessage[]) => {
      await dropIntoMaildir(server, USER, folder, messages);
      for (const message of messages) expected.set(messageIdOf(message), folder);
    };
    const onLaptop = (folder: string, messages: SeedMessage[]) => {
      for (let i = 0; i < messages.length; i += 20) dropLocal(dirs.maildir, folder, messages.slice(i, i + 20));
      for (const message of messages) expected.set(messageIdOf(message), folder);
    };
    await onServer('INBOX', makeMessages({ folder: 'INBOX', count: 200 }, 0));

    const moments: Moment[] = [
      { name: 'start-up, 300 ms after spawn', kill: (o) => o.elapsed >= 300 },
      { name: 'the first pass copying (60 messages in the Maildir)', kill: (o) => o.local >= 60 },
      {
        name: 'pulling 100 deliveries on the server (30 arrived)',
        changes: () => onServer('Archive', makeMessages({ folder: 'Archive', count: 100 }, 1_000)),
        // Counted in Archive itself: how much of INBOX the earlier moments left to pull depends on when they were killed.
        kill: () => localFiles(dirs.maildir, 'Archive').length >= 30,
      },
      {
        name: 'pushing 100 new local files (20 on the server)',
        changes: async () => onLaptop('Local', makeMessages({ folder: 'Local', count: 100 }, 2_000)),
        kill: (o) => o.server >= o.serverAtStart + 20,
      },
      {
        name: 'both at once (100 each way), 1.5 s after the first arrival',
        changes: async () => {
          onLaptop('INBOX', makeMessages({ folder: 'INBOX', count: 100 }, 3_000));
          await onServer('INBOX', makeMessages({ folder: 'INBOX', count: 100 }, 4_000));
        },
        kill: (o) => o.elapsed >= 1_500 && (o.local > o.localAtStart + 100 || o.server > o.serverAtStart),
      },
    ];

    for (const moment of moments) {
      const [localAtStart, serverAtStart] = [countLocalMessages(dirs.maildir), countServerFiles(server.maildirOf(USER))];
      const daemon = startDaemon();
      const started = performance.now();
      try {
        await moment.changes?.();
        await waitFor(
          `the moment "${moment.name}"`,
          () => moment.kill({ elapsed: performance.now() - started, local: countLocalMessages(dirs.maildir), server: countServerFiles(server.maildirOf(USER)), localAtStart, serverAtStart }),
          START_MS,
        );
      } finally {
        if (daemon.child.exitCode === null) daemon.child.kill('SIGKILL');
        await daemon.done;
      }
      expect(duplicates(await holdings()), `after the kill at "${moment.name}"`).toEqual([]);
    }

    const last = startDaemon();
    let converged: Awaited<ReturnType<typeof holdings>> | undefined;
    try {
      await waitFor(
        'both sides to hold every message',
        async () => {
          converged = await holdings();
          return [...expected.keys()].every((id) => converged!.server.has(id) && converged!.local.has(id));
        },
        START_MS,
      );
      // The killed daemons may have converged it already: stop this one once it is up (a pass ended), not while it starts.
      await waitFor('the last daemon to end a pass', () => passEnded(), START_MS);
    } finally {
      const run = await stopDaemon(last);
      expect(run.code, `signal ${run.signal}; ${run.stderr.slice(-2000)}`).toBe(143);
    }
    expect(duplicates(converged!)).toEqual([]);
    for (const side of ['server', 'local'] as const) {
      expect(converged![side].size, side).toBe(expected.size);
      for (const [id, folder] of expected) expect(converged![side].get(id), `${side}: ${id}`).toEqual([folder]);
    }
  }, 600_000);
});
