// The scenarios. Each measures both tools alternately (imapfw, mbsync,
// imapfw, mbsync, …) on the same server, and checks after every run that the
// tool's Maildir mirrors the server.
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DovecotServer } from '../test/support/dovecot.js';
import { changeServer } from './changes.js';
import { newMirror, runMirror, TOOLS, type Account, type Mirror, type Run, type Tool } from './contenders.js';
import { seedMessages, type CorpusStats } from './corpus.js';
import type { Options, Scenario } from './options.js';
import { randomFrom, seedOf } from './random.js';
import type { ScenarioResult, Target } from './report.js';
import { KB, longTail, MB, plannedSizes, sizeAt, smallOnly, type SizeModel } from './sizes.js';
import { checkMirror, maildirCounts, serverCounts } from './verify.js';

export const PASSWORD = 'bench-pw';
/** The accounts on the test Dovecot: the main corpus, the big one, and one left empty. */
export const USERS = { main: 'alice', big: 'bob', empty: 'carol' } as const;

const RSS_LIMIT = 250 * MB;
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
        return [await this.measure('fixed cost: rerun on an empty account', { rss: RSS_LIMIT }, rounds, () => mirrors)];
      }
      case 'initial': {
        const corpus = await this.mainCorpus();
        const result = await this.measure(`initial mirror, ${this.describe(corpus)}`, { wallRatio: 0.8, rss: RSS_LIMIT }, rounds, () => this.fresh(corpus.account));
        corpus.mirrors = result.mirrors;
        return [result];
      }
      case 'noop': {
        const corpus = await this.mainCorpus();
        const mirrors = (corpus.mirrors ??= await this.mirrored(corpus.account));
        await sleep(SETTLE_MS);
        return [await this.measure(`no-op rerun, ${messages.toLocaleString('en')} messages`, { wallRatio: 2, rss: RSS_LIMIT }, rounds, () => mirrors)];
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
        return [await this.measure(`rerun after 1% new, 5% flag changes`, { rss: RSS_LIMIT }, rounds, () => mirrors, before)];
      }
      case 'noop-big': {
        const corpus = await this.bigCorpus();
        const initial = await this.measure(`initial mirror, ${this.describe(corpus)} (1 run)`, { wallRatio: 0.8, rss: RSS_LIMIT }, 1, () => this.fresh(corpus.account));
        await sleep(SETTLE_MS);
        const noop = await this.measure(`no-op rerun, ${bigMessages.toLocaleString('en')} messages`, { wallRatio: 0.5, rss: RSS_LIMIT }, rounds, () => initial.mirrors);
        return [initial, noop];
      }
    }
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
      this.big = await this.seed(USERS.big, seed, model, plannedSizes(model, this.options.bigMessages, seed));
    }
    return this.big;
  }

  private async seed(user: string, seed: number, model: SizeModel, sizes: number[]): Promise<Corpus> {
    const started = performance.now();
    const stats = await seedMessages(this.server, user, seed, 0, sizes);
    this.log(`seeded ${user}: ${stats.messages} messages, ${(stats.bytes / MB).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const sorted = [...sizes].sort((a, b) => a - b);
    const at = (q: number) => `${(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! / KB).toFixed(1)} KB`;
    const description =
      `${user}: ${stats.messages.toLocaleString('en')} messages, ${(stats.bytes / MB).toFixed(1)} MB, seed ${seed}; ` +
      `${Object.entries(stats.folders).map(([folder, n]) => `${folder} ${n}`).join(', ')}; ` +
      `sizes: median ${at(0.5)}, 90% ${at(0.9)}, 99% ${at(0.99)}, max ${at(1)}`;
    return { account: this.account(user), model, stats, description, nextIndex: stats.messages };
  }

  /** A new, empty mirror directory per tool. */
  private async fresh(account: Account): Promise<Record<Tool, Mirror>> {
    const dir = path.join(this.workDir, `${account.user}-${++this.dirs}`);
    return { imapfw: await newMirror('imapfw', account, path.join(dir, 'imapfw')), mbsync: await newMirror('mbsync', account, path.join(dir, 'mbsync')) };
  }

  /** Fresh mirrors brought in step with the server by one unmeasured run each. */
  private async mirrored(account: Account): Promise<Record<Tool, Mirror>> {
    const mirrors = await this.fresh(account);
    for (const tool of TOOLS) await runMirror(mirrors[tool], this.imapfw);
    this.log(`mirrored ${account.user} once with each tool (not measured)`);
    return mirrors;
  }

  /** `rounds` × (before the round, then imapfw, then mbsync), each run checked. */
  private async measure(
    title: string,
    target: Target,
    rounds: number,
    mirrorsFor: () => Record<Tool, Mirror> | Promise<Record<Tool, Mirror>>,
    before?: (round: number) => Promise<string>,
  ): Promise<ScenarioResult & { mirrors: Record<Tool, Mirror> }> {
    const runs: Record<Tool, Run[]> = { imapfw: [], mbsync: [] };
    const roundNotes: string[] = [];
    let mirrors!: Record<Tool, Mirror>;
    for (let round = 1; round <= rounds; round++) {
      if (before) roundNotes.push(await before(round));
      mirrors = await mirrorsFor();
      const expected = await serverCounts(this.server, mirrors.imapfw.account.user);
      for (const tool of TOOLS) {
        const run = await runMirror(mirrors[tool], this.imapfw);
        checkMirror(tool, expected, await maildirCounts(mirrors[tool].maildir, Object.keys(expected)));
        runs[tool].push(run);
        this.log(`${title} [${round}/${rounds}] ${tool}: ${run.wall.toFixed(2)} s wall, ${run.cpu.toFixed(2)} s CPU, ${Math.round(run.rss / MB)} MB`);
      }
    }
    return { title, target, runs, roundNotes, mirrors };
  }
}
