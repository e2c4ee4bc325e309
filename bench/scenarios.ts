// The scenarios. Each measures both tools alternately (imapfw, mbsync,
// imapfw, mbsync, …) on the same server, and checks after every run that the
// tool's Maildir mirrors the server.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DovecotServer } from '../test/support/dovecot.js';
import { changeServer } from './changes.js';
import { newMirror, runMirror, TOOLS, type Account, type Mirror, type Run, type Tool } from './contenders.js';
import { changeMaildir } from './local-changes.js';
import { BIG_FOLDERS, type BenchFolder } from './mail.js';
import { runMigration } from './migrate.js';
import { seedMessages, type CorpusStats } from './corpus.js';
import type { Options, Scenario } from './options.js';
import { randomFrom, seedOf } from './random.js';
import type { MigrationResult, ScenarioResult, Target } from './report.js';
import { KB, longTail, MB, plannedSizes, sizeAt, smallOnly, type SizeModel } from './sizes.js';
import { checkMirror, maildirCounts, serverCounts } from './verify.js';
import { benchWatch, type WatchResult } from './watch.js';

export const PASSWORD = 'bench-pw';
/** The accounts on the test Dovecot: the main corpus, the big one, one left empty, a copy of the main one per tool for two-way syncs. */
export const USERS = { main: 'alice', big: 'bob', empty: 'carol', syncImapfw: 'dan', syncMbsync: 'erin' } as const;

/** Every account the bench needs: USERS and the migration targets, one per migrate run. */
export function benchUsers(rounds: number): string[] {
  return [...Object.values(USERS), ...Array.from({ length: 2 * rounds }, (_, i) => migrationTarget(i))];
}

const migrationTarget = (i: number) => `target${i + 1}`;
/** --max-connections of the migrate runs. */
const MIGRATE_CONNECTIONS = [1, 4];

/** Issue 11's targets, scenario by scenario. */
export const TARGETS = {
  empty: { wallSeconds: 0.3 },
  initial: { wallRatio: 0.8, cpuRatio: 1.5, rss: 150 * MB },
  noop: { wallSeconds: 0.35, rss: 90 * MB },
  changes: {},
  initialBig: { wallRatio: 1, rss: 150 * MB },
  noopBig: { wallRatio: 0.5 },
  sync: { wallRatio: 1.5 },
  migrate: { messagesPerSecond: 1_000, rss: 150 * MB },
} as const;
/**
 * Pause before measuring reruns. Both tools distrust a Maildir directory whose
 * mtime is too recent (mbsync sleeps 1 s, imapfw lists instead of skipping
 * within 2 s), which a rerun minutes after the last run never meets.
 */
export const SETTLE_MS = 3000;

interface Corpus {
  account: Account;
  model: SizeModel;
  stats: CorpusStats;
  /** One line for the results: counts per folder and the size distribution. */
  description: string;
  /** Index of the next message to deliver (they number the Message-IDs). */
  nextIndex: number;
  /** Mirrors in step with the server, left by the last scenario. */
  mirrors?: Record<Tool, Mirror>;
}

export class Scenarios {
  private main?: Corpus;
  private big?: Corpus;
  private dirs = 0;
  private migrationRuns = 0;
  /** Results of the migrate scenario (one tool: a table of its own). */
  readonly migrations: MigrationResult[] = [];
  /** Result of the watch scenario (imapfw alone: a table of its own). */
  watch?: WatchResult;

  constructor(
    private readonly options: Options,
    private readonly server: DovecotServer,
    private readonly workDir: string,
    private readonly imapfw: string,
    private readonly log: (line: string) => void,
  ) {}

  async run(scenario: Scenario): Promise<ScenarioResult[]> {
    const { rounds, messages, bigMessages } = this.options;
    switch (scenario) {
      case 'empty': {
        const mirrors = await this.mirrored(this.account(USERS.empty));
        await sleep(SETTLE_MS);
        return [await this.measure('fixed cost: rerun on an empty account', TARGETS.empty, rounds, () => mirrors)];
      }
      case 'initial': {
        const corpus = await this.mainCorpus();
        const result = await this.measure(`initial mirror, ${this.describe(corpus)}`, TARGETS.initial, rounds, () => this.fresh(corpus.account));
        corpus.mirrors = result.mirrors;
        return [result];
      }
      case 'noop': {
        const corpus = await this.mainCorpus();
        const mirrors = (corpus.mirrors ??= await this.mirrored(corpus.account));
        await sleep(SETTLE_MS);
        return [await this.measure(`no-op rerun, ${messages.toLocaleString('en')} messages`, TARGETS.noop, rounds, () => mirrors)];
      }
      case 'changes': {
        const corpus = await this.mainCorpus();
        const mirrors = (corpus.mirrors ??= await this.mirrored(corpus.account));
        const added = Math.ceil(messages / 100);
        const before = async (round: number) => {
          const random = randomFrom(seedOf(this.options.seed, 'new sizes', round));
          const newSizes = Array.from({ length: added }, () => sizeAt(corpus.model, random()));
          const done = await changeServer(this.server, corpus.account.user, {
            seed: this.options.seed,
            round,
            firstIndex: corpus.nextIndex,
            newSizes,
            flagChanges: Math.ceil(messages / 20),
          });
          corpus.nextIndex += done.added;
          return `${done.added} new messages, ${done.flagsChanged} flags changed`;
        };
        return [await this.measure(`rerun after 1% new, 5% flag changes`, TARGETS.changes, rounds, () => mirrors, before)];
      }
      case 'initial-big': {
        const corpus = await this.bigCorpus();
        const result = await this.measure(`initial mirror, ${this.describe(corpus)} in ${Object.keys(corpus.stats.folders).length} folders`, TARGETS.initialBig, rounds, () => this.fresh(corpus.account));
        corpus.mirrors = result.mirrors;
        return [result];
      }
      case 'noop-big': {
        // Without initial-big before it, the first mirror is set-up, not measured.
        const corpus = await this.bigCorpus();
        const mirrors = (corpus.mirrors ??= await this.mirrored(corpus.account));
        await sleep(SETTLE_MS);
        return [await this.measure(`no-op rerun, ${bigMessages.toLocaleString('en')} messages`, TARGETS.noopBig, rounds, () => mirrors)];
      }
      case 'sync':
        return this.hasApp('sync') ? [await this.twoWay()] : [];
      case 'migrate':
        if (this.hasApp('migrate')) this.migrations.push(...(await this.migrate()));
        return [];
      case 'watch': {
        if (!this.hasApp('sync')) return [];
        const corpus = await this.mainCorpus();
        const { seed, watchChanges: changes, watchCycles: cycles, watchIdleSeconds: idleSeconds } = this.options;
        this.watch = await benchWatch(corpus.account, corpus.stats.messages, this.workDir, this.imapfw, { seed, changes, cycles, idleSeconds }, this.log);
        return [];
      }
      case 'queue':
        return []; // on a Dovecot of its own, before the others (run.ts, queue.ts)
    }
  }

  /**
   * Two-way sync: a copy of the main corpus per tool, synced once; then each
   * round, 1% new messages and 5% flag changes on the server and as many in
   * the Maildir, and one `imapfw sync` / mbsync `Sync All` run each.
   */
  private async twoWay(): Promise<ScenarioResult> {
    const { messages, seed } = this.options;
    const main = await this.mainCorpus();
    const sizes = plannedSizes(main.model, messages, seedOf(seed, 'sizes'), this.options.megabytes * MB);
    const accounts = { imapfw: this.account(USERS.syncImapfw), mbsync: this.account(USERS.syncMbsync) };
    for (const tool of TOOLS) await this.seed(accounts[tool].user, seed, main.model, sizes);
    const mirrors = await this.mirrored(accounts, 'sync');
    const totals = { imapfw: messages, mbsync: messages };
    let nextIndex = messages;
    const added = Math.ceil(messages / 100);
    const flagChanges = Math.ceil(messages / 20);
    await sleep(SETTLE_MS);
    const before = async (round: number) => {
      const random = randomFrom(seedOf(seed, 'two-way sizes', round));
      const sizesOf = () => Array.from({ length: added }, () => sizeAt(main.model, random()));
      const [serverSizes, localSizes] = [sizesOf(), sizesOf()];
      let notes = '';
      for (const tool of TOOLS) {
        const remote = await changeServer(this.server, accounts[tool].user, { seed, round, firstIndex: nextIndex, newSizes: serverSizes, flagChanges });
        const local = changeMaildir(mirrors[tool].maildir, { seed, round, firstIndex: nextIndex + added, newSizes: localSizes, flagChanges });
        totals[tool] += remote.added + local.added;
        notes = `server: ${remote.added} new, ${remote.flagsChanged} flags; Maildir: ${local.added} new, ${local.flagsChanged} flags`;
      }
      nextIndex += 2 * added;
      // The Maildir changes are as old as a user's edits between two runs.
      await sleep(SETTLE_MS);
      return notes;
    };
    // Both ways: each side ends with the other's new messages too.
    const check = async (tool: Tool, counts: Record<string, { messages: number }>) => {
      const total = Object.values(counts).reduce((sum, c) => sum + c.messages, 0);
      if (total !== totals[tool]) throw new Error(`${tool}: the server holds ${total} messages after the sync, not ${totals[tool]}`);
    };
    const title = `two-way sync after 1% new and 5% flag changes on each side, ${messages.toLocaleString('en')} messages`;
    return this.measure(title, TARGETS.sync, this.options.rounds, () => mirrors, before, check);
  }

  /** Migration of the main corpus to an empty account, with 1 and with 4 connections, alternately. */
  private async migrate(): Promise<MigrationResult[]> {
    const main = await this.mainCorpus();
    const expected = await serverCounts(this.server, main.account.user);
    // The main corpus, with the messages earlier scenarios added.
    const count = Object.values(expected).reduce((sum, c) => sum + c.messages, 0);
    const results = MIGRATE_CONNECTIONS.map((connections) => ({
      title: `migrate ${count.toLocaleString('en')} messages, --max-connections ${connections}`,
      connections,
      target: connections === 4 ? TARGETS.migrate : {},
      runs: [] as Run[],
    }));
    for (let round = 1; round <= this.options.rounds; round++) {
      for (const result of results) {
        const target = this.account(migrationTarget(this.migrationRuns++));
        const dir = path.join(this.workDir, `migrate-${this.migrationRuns}`);
        const run = await runMigration(this.imapfw, main.account, target, dir, result.connections);
        checkMirror(`migrate to ${target.user}`, expected, await serverCounts(this.server, target.user));
        result.runs.push(run);
        const s = run.migrateSummary!;
        this.log(`${result.title} [${round}/${this.options.rounds}]: ${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU, ${Math.round(run.rss / MB)} MB, ${s.transferred} messages`);
      }
    }
    return results;
  }

  /** The corpora seeded so far, one line each. */
  corpora(): string[] {
    return [this.main, this.big].flatMap((corpus) => (corpus ? [corpus.description] : []));
  }

  private account(user: string): Account {
    return { server: this.server, user, password: PASSWORD };
  }

  private describe(corpus: Corpus): string {
    return `${corpus.stats.messages.toLocaleString('en')} messages, ${Math.round(corpus.stats.bytes / MB)} MB`;
  }

  private async mainCorpus(): Promise<Corpus> {
    if (!this.main) {
      const { messages, megabytes, seed } = this.options;
      const model = longTail((megabytes * MB) / messages);
      this.main = await this.seed(USERS.main, seed, model, plannedSizes(model, messages, seedOf(seed, 'sizes'), megabytes * MB));
    }
    return this.main;
  }

  private async bigCorpus(): Promise<Corpus> {
    if (!this.big) {
      const seed = seedOf(this.options.seed, 'big');
      const model = smallOnly();
      this.big = await this.seed(USERS.big, seed, model, plannedSizes(model, this.options.bigMessages, seed), BIG_FOLDERS);
    }
    return this.big;
  }

  private async seed(user: string, seed: number, model: SizeModel, sizes: number[], folders?: readonly BenchFolder[]): Promise<Corpus> {
    const started = performance.now();
    const stats = await seedMessages(this.server, user, seed, 0, sizes, folders);
    this.log(`seeded ${user}: ${stats.messages} messages, ${(stats.bytes / MB).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const sorted = [...sizes].sort((a, b) => a - b);
    const at = (q: number) => `${(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / KB).toFixed(1)} KB`;
    const description =
      `${user}: ${stats.messages.toLocaleString('en')} messages, ${(stats.bytes / MB).toFixed(1)} MB, seed ${seed}; ` +
      `${Object.entries(stats.folders).map(([folder, n]) => `${folder} ${n}`).join(', ')}; ` +
      `sizes: median ${at(0.5)}, 90% ${at(0.9)}, 99% ${at(0.99)}, max ${at(1)}`;
    return { account: this.account(user), model, stats, description, nextIndex: stats.messages };
  }

  /** A new, empty mirror directory per tool, of one account or of one account each. */
  private async fresh(account: Account | Record<Tool, Account>, mode: Mirror['mode'] = 'mirror'): Promise<Record<Tool, Mirror>> {
    const of = (tool: Tool) => ('server' in account ? account : account[tool]) as Account;
    const dir = path.join(this.workDir, `${of('imapfw').user}-${++this.dirs}`);
    return {
      imapfw: await newMirror('imapfw', of('imapfw'), path.join(dir, 'imapfw'), mode),
      mbsync: await newMirror('mbsync', of('mbsync'), path.join(dir, 'mbsync'), mode),
    };
  }

  /** Fresh mirrors brought in step with the server by one unmeasured run each (without fsync: only set-up). */
  private async mirrored(account: Account | Record<Tool, Account>, mode: Mirror['mode'] = 'mirror'): Promise<Record<Tool, Mirror>> {
    const mirrors = await this.fresh(account, mode);
    for (const tool of TOOLS) await runMirror(mirrors[tool], this.imapfw, { fsync: false });
    this.log(`${mode === 'mirror' ? 'mirrored' : 'synced'} ${TOOLS.map((tool) => mirrors[tool].account.user).join(' / ')} once with each tool (not measured)`);
    return mirrors;
  }

  /** Whether the measured build has this shipped app (sync and migrate are newer than mirror). */
  private hasApp(app: string): boolean {
    const found = existsSync(path.join(path.dirname(path.dirname(this.imapfw)), 'dist', 'src', 'apps', app, 'app.js'));
    if (!found) this.log(`skipped the ${app} scenario: this build has no ${app} app`);
    return found;
  }

  /** `rounds` × (before the round, then imapfw, then mbsync), each run checked. */
  private async measure(
    title: string,
    target: Target,
    rounds: number,
    mirrorsFor: () => Record<Tool, Mirror> | Promise<Record<Tool, Mirror>>,
    before?: (round: number) => Promise<string>,
    check?: (tool: Tool, counts: Awaited<ReturnType<typeof serverCounts>>) => Promise<void>,
  ): Promise<ScenarioResult & { mirrors: Record<Tool, Mirror> }> {
    const runs: Record<Tool, Run[]> = { imapfw: [], mbsync: [] };
    const roundNotes: string[] = [];
    let mirrors!: Record<Tool, Mirror>;
    for (let round = 1; round <= rounds; round++) {
      if (before) roundNotes.push(await before(round));
      mirrors = await mirrorsFor();
      for (const tool of TOOLS) {
        const run = await runMirror(mirrors[tool], this.imapfw);
        // After the run: a two-way sync changes the server too.
        const expected = await serverCounts(this.server, mirrors[tool].account.user);
        checkMirror(tool, expected, await maildirCounts(mirrors[tool].maildir, Object.keys(expected)));
        await check?.(tool, expected);
        runs[tool].push(run);
        this.log(`${title} [${round}/${rounds}] ${tool}: ${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU, ${Math.round(run.rss / MB)} MB`);
      }
    }
    return { title, target, runs, roundNotes, mirrors };
  }
}
