// The command line of `npm run bench -- [options]`.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** In the order they run: each later one builds on the mirrors the earlier ones left. */
export const SCENARIOS = ['empty', 'initial', 'noop', 'changes', 'sync', 'migrate', 'initial-big', 'noop-big', 'watch', 'queue'] as const;
export type Scenario = (typeof SCENARIOS)[number];
/** Run only when named: they take long and measure imapfw alone. */
const ONLY_WHEN_ASKED: readonly Scenario[] = ['initial-big', 'watch', 'queue'];

export interface Options {
  messages: number;
  megabytes: number;
  bigMessages: number;
  rounds: number;
  scenarios: Scenario[];
  /** Accounts of the queue scenario's batch of small accounts. */
  queueAccounts: number;
  seed: number;
  keep: boolean;
  imapfw: string;
  results: string;
  /** The watch scenario: spaced deliveries and local flag changes, change cycles, seconds idle. */
  watchChanges: number;
  watchCycles: number;
  watchIdleSeconds: number;
}

const here = path.dirname(fileURLToPath(import.meta.url));

export const USAGE = `usage: npm run bench -- [options] [SCENARIO...]

Mirrors a generated corpus from a test Dovecot with \`imapfw mirror\` and with
mbsync, alternately, and prints the median wall time, CPU time and peak RSS
of each and their ratio; likewise for a two-way sync, and migrations with
\`imapfw migrate\`. Measures the build in dist/: run \`npm run build\` first.

  --messages N      messages in the corpus (default 10000)
  --megabytes M     its total size in MB (default 400)
  --rounds R        measured runs of each tool per scenario (default 3)
  --scenario NAME   run only this scenario; repeatable. In order:
                      empty      both tools against an empty account (fixed cost)
                      initial    first mirror into an empty Maildir (fresh every round)
                      noop       rerun with nothing changed
                      changes    rerun after 1% new messages and 5% flag changes
                      sync       two-way: imapfw sync vs mbsync Sync All after 1% new and
                                 5% flag changes on each side (needs the sync app)
                      migrate    imapfw migrate of the corpus to an empty account, with
                                 1 and 4 connections (needs the migrate app)
                      initial-big  first mirror of --big-messages small messages in 10 folders
                                 (fresh every round; only when named: mbsync takes ~8 min a
                                 round at 100,000 here, fsyncing each message)
                      noop-big   rerun with nothing changed, on the big corpus (after initial-big,
                                 on its mirrors; alone, after an unmeasured first mirror)
                      watch      the daemon, imapfw alone (only when named): push latency,
                                 local flag change -> server, idle CPU, RSS over change cycles,
                                 a one-shot sync handed to it (needs the sync app; ~15 min)
                      queue      migrate --batch through a Redis queue with 1, 2 and 4 \`imapfw worker\`
                                 processes vs one \`migrate --batch --parallel\` process, 200 x 50 and
                                 20 x 1,000 messages, imapfw alone (only when named; ~20 min a round)
                    A SCENARIO named without --scenario counts the same.
  --big, --no-big   include noop-big or not (default: included)
  --big-messages N  messages in the big corpus (default 100000, 2-5 KB each, 10 folders)
  --watch-changes N spaced deliveries, and as many local flag changes, of watch (default 100)
  --watch-cycles N  change cycles (a delivery and its expunge) of watch's RSS figure (default 1000)
  --watch-idle S    seconds of watch's idle CPU figure (default 300)
  --queue-accounts N accounts of queue's batch of small accounts (default 200; 50 messages each)
  --seed S          corpus seed (default 1)
  --imapfw FILE     the imapfw command to measure (default: this checkout's bin/imapfw.mjs)
  --results FILE    where to write the results (default bench/results.md)
  --keep            keep the temp dir (Maildirs, configs, logs of every run)
`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, not "${value}"`);
  return n;
}

/** null when --help was asked for. */
export function parseOptions(argv: string[]): Options | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      messages: { type: 'string' },
      megabytes: { type: 'string' },
      'big-messages': { type: 'string' },
      rounds: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      big: { type: 'boolean' },
      'no-big': { type: 'boolean' },
      'queue-accounts': { type: 'string' },
      seed: { type: 'string' },
      keep: { type: 'boolean' },
      imapfw: { type: 'string' },
      results: { type: 'string' },
      'watch-changes': { type: 'string' },
      'watch-cycles': { type: 'string' },
      'watch-idle': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return null;
  if (values.big && values['no-big']) throw new Error('--big and --no-big contradict each other');
  const named = [...(values.scenario ?? []), ...positionals];
  const asked = named.length > 0 ? named : SCENARIOS.filter((s) => !ONLY_WHEN_ASKED.includes(s));
  for (const name of asked) if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario "${name}": one of ${SCENARIOS.join(', ')}`);
  const scenarios = SCENARIOS.filter((s) => (s === 'noop-big' ? (asked.includes(s) || values.big) && !values['no-big'] : asked.includes(s)));
  if (scenarios.length === 0) throw new Error('no scenario left to run');
  return {
    messages: positive('messages', values.messages, 10_000),
    megabytes: positive('megabytes', values.megabytes, 400),
    bigMessages: positive('big-messages', values['big-messages'], 100_000),
    rounds: positive('rounds', values.rounds, 3),
    scenarios,
    queueAccounts: positive('queue-accounts', values['queue-accounts'], 200),
    seed: positive('seed', values.seed, 1),
    keep: values.keep === true,
    imapfw: path.resolve(values.imapfw ?? path.join(here, '..', 'bin', 'imapfw.mjs')),
    results: path.resolve(values.results ?? path.join(here, 'results.md')),
    watchChanges: positive('watch-changes', values['watch-changes'], 100),
    watchCycles: positive('watch-cycles', values['watch-cycles'], 1000),
    watchIdleSeconds: positive('watch-idle', values['watch-idle'], 300),
  };
}
