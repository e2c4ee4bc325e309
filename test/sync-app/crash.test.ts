// DESIGN §5 for the two-way sync: after a first sync, both sides change
// (1,000 new messages on each, flag changes, concurrent flag changes,
// deletions, a deletion against a flag change, local moves, moves on the
// server, a new local folder); the sync is then killed with SIGKILL at many moments and run
// again each time. After every kill each Message-ID is held at most once per
// side and none is lost; the last run completes, both sides (the Maildir
// read by a second Dovecot) hold exactly the expected messages with the
// flags the delta rule gives, and a run after it has nothing to do.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, imapClient, type SeedMessage } from '../support/messages.js';
import { localFolders } from '../mirror/helpers.js';
import { countLocalMessages, makeMessages, readState, walSignature } from '../mirror/support.js';
import {
  countServerFiles,
  describeRun,
  dropLocal,
  localFile,
  localFiles,
  maildirView,
  moveLocal,
  NOTHING_DONE,
  runSync,
  serverView,
  setLocalFlags,
  startSync,
  syncDirs,
  type MailboxView,
  type SyncDirs,
} from './support.js';

const USER = 'alice';
let server: DovecotServer;
let dirs: SyncDirs;

beforeAll(async () => {
  server = await startDovecot({ users: { [USER]: 'alice-pw' } });
  dirs = syncDirs();
});
afterAll(async () => {
  await server?.stop();
  dirs?.remove();
});

const messageIdOf = (message: SeedMessage) => /^Message-ID: (\S+)/im.exec(message.raw.toString('latin1'))![1]!;

/** The expected end state: per Message-ID, its folder and flags. */
class Expected {
  readonly messages = new Map<string, { folder: string; flags: Set<string> }>();
  /** Message-IDs deleted by a change: they may linger on one side until the sync, never elsewhere. */
  readonly deleted = new Set<string>();

  constructor(view: MailboxView) {
    for (const [folder, lines] of Object.entries(view)) {
      for (const line of lines) {
        const [id, ...flags] = line.split(' ');
        this.messages.set(id!, { folder, flags: new Set(flags) });
      }
    }
  }

  ids(folder: string): string[] {
    return [...this.messages].filter(([, m]) => m.folder === folder).map(([id]) => id).sort();
  }

  add(folder: string, messages: SeedMessage[]): void {
    for (const message of messages) this.messages.set(messageIdOf(message), { folder, flags: new Set(message.flags) });
  }

  flags(id: string, add: string[], remove: string[] = []): void {
    const flags = this.messages.get(id)!.flags;
    for (const flag of remove) flags.delete(flag);
    for (const flag of add) flags.add(flag);
  }

  delete(id: string): void {
    this.messages.delete(id);
    this.deleted.add(id);
  }

  view(): MailboxView {
    const view: MailboxView = {};
    for (const [id, { folder, flags }] of this.messages) (view[folder] ??= []).push(`${id} ${[...flags].sort().join(' ')}`.trim());
    for (const lines of Object.values(view)) lines.sort();
    return view;
  }
}


/** Runs `fn` on the server folder, opened read-write, with a UID lookup by Message-ID. */
async function onServer(folder: string, fn: (client: import('imapflow').ImapFlow, uids: Map<string, number>) => Promise<void>): Promise<void> {
  const client = await imapClient(server, USER);
  try {
    const lock = await client.getMailboxLock(folder);
    try {
      const uids = new Map<string, number>();
      for (const m of await client.fetchAll('1:*', { uid: true, envelope: true })) if (m.envelope?.messageId) uids.set(m.envelope.messageId, m.uid);
      await fn(client, uids);
    } finally {
      lock.release();
    }
  } finally {
    await client.logout();
  }
}

/** What is wrong right now: a Message-ID twice on one side, an expected one on neither, one that should not exist. */
async function problems(expected: Expected): Promise<string[]> {
  const found: string[] = [];
  const sides: Record<string, Map<string, string[]>> = { server: new Map(), local: new Map() };
  for (const [folder, lines] of Object.entries(await serverView(server, USER))) {
    for (const line of lines) sides.server!.set(line.split(' ')[0]!, [...(sides.server!.get(line.split(' ')[0]!) ?? []), folder]);
  }
  for (const folder of localFolders(dirs.maildir)) {
    for (const file of localFiles(dirs.maildir, folder)) sides.local!.set(file.messageId!, [...(sides.local!.get(file.messageId!) ?? []), folder]);
  }
  for (const [side, ids] of Object.entries(sides)) {
    for (const [id, folders] of ids) {
      if (folders.length > 1) found.push(`${side}: ${id} held ${folders.length}x (${folders.join(', ')})`);
      if (!expected.messages.has(id) && !expected.deleted.has(id)) found.push(`${side}: ${id} is no message of ours`);
    }
  }
  for (const id of expected.messages.keys()) if (!sides.server!.has(id) && !sides.local!.has(id)) found.push(`lost: ${id}`);
  return found;
}

interface Observation {
  elapsed: number;
  /** New message files on both sides since the changes, over the number expected (about 1 at the end). */
  progress: number;
  commits: number;
  commitsSince(progress: number): number;
}

interface Moment {
  name: string;
  kill(o: Observation): boolean;
}

const MOMENTS: Moment[] = [
  { name: 'start-up, 150 ms after spawn', kill: (o) => o.elapsed >= 150 },
  { name: 'first state commit of the run', kill: (o) => o.commits >= 1 },
  ...[0.1, 0.2, 0.3].map((p) => ({ name: `${p * 100}% of the new messages copied`, kill: (o: Observation) => o.progress >= p })),
  { name: 'right after a state commit past 35%', kill: (o) => o.progress >= 0.35 && o.commitsSince(0.35) >= 1 },
  ...[0.5, 0.6, 0.7, 0.8].map((p) => ({ name: `${p * 100}% of the new messages copied`, kill: (o: Observation) => o.progress >= p })),
  { name: 'right after the second state commit past 85%', kill: (o) => o.progress >= 0.85 && o.commitsSince(0.85) >= 2 },
];

describe('sync: SIGKILL during a two-way sync with changes on both sides', () => {
  it(
    `killed at ${MOMENTS.length} moments, each followed by a rerun: no loss, no duplicate, flags converge`,
    async () => {
      // A first sync: 400 messages from the server.
      await dropIntoMaildir(server, USER, 'INBOX', makeMessages({ folder: 'INBOX', count: 300 }, 0));
      await dropIntoMaildir(server, USER, 'Archive', makeMessages({ folder: 'Archive', count: 100 }, 300));
      const first = await runSync(server, USER, dirs);
      expect(first.code, describeRun(first)).toBe(0);
      const expected = new Expected(await serverView(server, USER));
      const inbox = expected.ids('INBOX');
      const archive = expected.ids('Archive');

      // The server: 1,000 new messages, flags on 65 (a keyword on 20), 25 expunged.
      const serverNew = { INBOX: makeMessages({ folder: 'INBOX', count: 600 }, 10_000), Archive: makeMessages({ folder: 'Archive', count: 400 }, 20_000) };
      for (const [folder, messages] of Object.entries(serverNew)) {
        await dropIntoMaildir(server, USER, folder, messages);
        expected.add(folder, messages);
      }
      await onServer('INBOX', async (client, uids) => {
        const flagged = [...inbox.slice(0, 60), ...inbox.slice(250, 255)];
        await client.messageFlagsAdd(flagged.map((id) => uids.get(id)!).join(','), ['\\Flagged'], { uid: true });
        for (const id of flagged) expected.flags(id, ['\\Flagged']);
        const gone = inbox.slice(60, 85);
        await client.messageDelete(gone.map((id) => uids.get(id)!).join(','), { uid: true });
        for (const id of gone) expected.delete(id);
        // Archived on the server: followed by moving the local files.
        const archived = inbox.slice(230, 250);
        await client.messageMove(archived.map((id) => uids.get(id)!).join(','), 'Archive', { uid: true });
        for (const id of archived) expected.messages.get(id)!.folder = 'Archive';
      });
      await onServer('Archive', async (client, uids) => {
        await client.messageFlagsAdd(archive.slice(0, 20).map((id) => uids.get(id)!).join(','), ['$Server'], { uid: true });
        for (const id of archive.slice(0, 20)) expected.flags(id, ['$Server']);
      });

      // The laptop: 1,000 new messages (200 in a new folder), flags on 70 (30 also changed on the server), 25 deleted,
      // 5 deleted that the server flagged (deletion wins), 20 moved to Archive.
      const localNew = { INBOX: makeMessages({ folder: 'INBOX', count: 500 }, 30_000), Archive: makeMessages({ folder: 'Archive', count: 300 }, 40_000), Local: makeMessages({ folder: 'Local', count: 200 }, 50_000) };
      for (const [folder, messages] of Object.entries(localNew)) {
        dropLocal(dirs.maildir, folder, messages);
        expected.add(folder, messages);
      }
      const LETTERS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };
      const letterFlags = (id: string) => [...localFile(dirs.maildir, 'INBOX', id).letters].flatMap((letter) => LETTERS[letter] ?? []);
      for (const id of inbox.slice(0, 30)) {
        // Concurrent: the server added \Flagged; here \Answered is added and \Seen removed.
        setLocalFlags(dirs.maildir, 'INBOX', id, [...letterFlags(id).filter((flag) => flag !== '\\Seen'), '\\Answered']);
        expected.flags(id, ['\\Answered'], ['\\Seen']);
      }
      for (const id of inbox.slice(100, 140)) {
        setLocalFlags(dirs.maildir, 'INBOX', id, [...letterFlags(id), '\\Seen']);
        expected.flags(id, ['\\Seen']);
      }
      for (const id of [...inbox.slice(150, 175), ...inbox.slice(250, 255)]) {
        rmSync(localFile(dirs.maildir, 'INBOX', id).path);
        expected.delete(id);
      }
      for (const id of inbox.slice(200, 220)) {
        moveLocal(dirs.maildir, 'INBOX', 'Archive', id);
        expected.messages.get(id)!.folder = 'Archive';
      }
      expect(await problems(expected)).toEqual([]);

      const totalNew = 2_000;
      const baseline = { local: countLocalMessages(dirs.maildir), server: countServerFiles(server.maildirOf(USER)) };
      const kills: { moment: string; killed: boolean; ms: number; progress: number }[] = [];
      for (const moment of MOMENTS) {
        const running = startSync(server, USER, dirs, { timeoutMs: 90_000 });
        const started = performance.now();
        let wal = walSignature(dirs.state);
        let commits = 0;
        const history: { progress: number; commits: number }[] = [];
        let exited = false;
        let killed: Observation | undefined;
        void running.done.then(() => (exited = true));
        while (!exited && !killed) {
          const progress = (Math.max(0, countLocalMessages(dirs.maildir) - baseline.local) + Math.max(0, countServerFiles(server.maildirOf(USER)) - baseline.server)) / totalNew;
          const now = walSignature(dirs.state);
          if (now !== wal) {
            wal = now;
            commits += 1;
          }
          history.push({ progress, commits });
          const observation: Observation = {
            elapsed: performance.now() - started,
            progress,
            commits,
            commitsSince: (threshold) => commits - (history.find((h) => h.progress >= threshold)?.commits ?? commits),
          };
          if (moment.kill(observation)) {
            running.child.kill('SIGKILL');
            killed = observation;
          } else await new Promise((resolve) => setTimeout(resolve, 50)); // Counting ~5,000 files costs CPU the sync needs: not too often.
        }
        const run = await running.done;
        if (killed) expect(run.signal, describeRun(run)).toBe('SIGKILL');
        else expect(run.code, describeRun(run)).toBe(0);
        kills.push({ moment: moment.name, killed: killed !== undefined && run.signal === 'SIGKILL', ms: Math.round(killed?.elapsed ?? run.ms), progress: killed?.progress ?? 1 });
        expect(await problems(expected), `after "${moment.name}"`).toEqual([]);
      }

      const last = await runSync(server, USER, dirs);
      expect(last.code, describeRun(last)).toBe(0);
      const want = expected.view();
      expect(await serverView(server, USER)).toEqual(want);
      expect(await maildirView(dirs.maildir)).toEqual(want);
      const again = await runSync(server, USER, dirs);
      expect(again.code, describeRun(again)).toBe(0);
      expect(again.summary).toMatchObject({ ...NOTHING_DONE, moved: 0 });
      expect(readState(dirs.state).openIntents).toBe(0);

      const killedRuns = kills.filter((kill) => kill.killed);
      console.log(
        [
          `${killedRuns.length} kills of ${kills.length} runs; then ${Math.round(last.ms)} ms to finish (copied ${last.summary?.copied}, paired ${last.summary?.paired}, moved ${last.summary?.moved}), ${Math.round(again.ms)} ms for a run with nothing to do`,
          ...kills.map((k) => `  ${k.killed ? 'killed' : 'ended '} after ${k.ms} ms at ${(k.progress * 100).toFixed(0)}%: ${k.moment}`),
        ].join('\n'),
      );
      expect(killedRuns.length).toBeGreaterThanOrEqual(10);
      expect(new Set(killedRuns.map((k) => k.progress.toFixed(2))).size).toBeGreaterThanOrEqual(8);
    },
    // About a minute on a quiet machine; four under heavy load.
    600_000,
  );
});
