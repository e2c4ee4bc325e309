// `npm run bench`: imapfw mirror against mbsync on a generated corpus. See
// options.ts for the command line and scenarios.ts for what is measured.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDovecot } from '../test/support/dovecot.js';
import { checkGnuTime } from './measure.js';
import { mbsyncVersion } from './mbsync.js';
import { parseOptions, USAGE, type Options } from './options.js';
import { migrationRuns, migrationTable, resultsTable, runsSection, type MigrationResult, type ScenarioResult } from './report.js';
import { benchUsers, PASSWORD, Scenarios, SETTLE_MS } from './scenarios.js';
import { WATCH_HEADING, watchSection, watchTable } from './watch-report.js';
import { QUEUE_HEADING, queueScenario } from './queue.js';
import { sectionBodies, writeSection } from './results-section.js';

const exec = promisify(execFile);
/** Sections written by hand (paired runs of issue 11's changes): kept when the file is rewritten. */
const HAND_WRITTEN_HEADINGS = [
  '## Initial mirrors and memory (issue 11)',
  '## Two-way reruns: Maildir listings (paired, hand-written)',
  '## The 100k no-op (noop-big, run on its own)',
];
/** This checkout (the bench's own). */
const here = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const log = (line: string) => process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(argv: string[]): Promise<number> {
  const options = parseOptions(argv);
  if (!options) {
    process.stdout.write(USAGE);
    return 0;
  }
  checkGnuTime();
  // From source (tsx) imapfw starts seconds slower: such figures would be worthless.
  const checkout = path.dirname(path.dirname(options.imapfw));
  if (!existsSync(path.join(checkout, 'dist', 'src', 'cli', 'main.js'))) throw new Error(`${checkout} has no build: run \`npm run build\` there first`);

  // A Dovecot and a Redis of its own, not the corpus: it runs first, apart.
  if (options.scenarios.includes('queue')) await queueScenario(options, log);
  if (options.scenarios.every((scenario) => scenario === 'queue')) return 0;

  const workDir = await mkdtemp(path.join(os.tmpdir(), 'imapfw-bench-'));
  const server = await startDovecot({ users: Object.fromEntries(benchUsers(options.rounds).map((user) => [user, PASSWORD])) });
  log(`Dovecot on port ${server.port}; work dir ${workDir}`);
  const results: ScenarioResult[] = [];
  const scenarios = new Scenarios(options, server, workDir, options.imapfw, log);
  try {
    for (const scenario of options.scenarios) results.push(...(await scenarios.run(scenario)));
  } finally {
    await server.stop();
    if (options.keep) log(`kept ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }

  const migrations = scenarios.migrations;
  if (results.length + migrations.length > 0) {
    const table = resultsTable(results) + (migrations.length > 0 ? `\n\n${migrationTable(migrations)}` : '');
    process.stdout.write(`\n${table}\n`);
    // The sections written on their own (the daemon, the queue) or by hand stay.
    const kept = sectionBodies(options.results, [WATCH_HEADING, QUEUE_HEADING, ...HAND_WRITTEN_HEADINGS]);
    await writeFile(options.results, await resultsFile(options, argv, table, results, migrations, scenarios.corpora(), checkout));
    for (const { heading, body } of kept) writeSection(options.results, heading, body);
  }
  // The daemon's table is a section of its own: a run of the watch scenario alone leaves the other tables.
  if (scenarios.watch) {
    process.stdout.write(`\n${watchTable(scenarios.watch)}\n`);
    writeSection(options.results, WATCH_HEADING, watchSection(scenarios.watch, argv, scenarios.corpora()));
  }
  log(`written to ${options.results}`);
  return 0;
}

async function resultsFile(options: Options, argv: string[], table: string, results: ScenarioResult[], migrations: MigrationResult[], corpora: string[], checkout: string): Promise<string> {
  const output = async (command: string, args: string[], cwd?: string) => (await exec(command, args, { cwd }).catch(() => ({ stdout: '?' }))).stdout.trim();
  const cpus = os.cpus();
  return `# imapfw vs mbsync

Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC with \`npm run bench${argv.length ? ` -- ${argv.join(' ')}` : ''}\`:
${os.availableParallelism()} cores (nproc; ${cpus[0]?.model ?? '?'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()},
Node ${process.version}, ${await mbsyncVersion()}, Dovecot ${await output('dovecot', ['--version'])},
imapfw ${checkout === here ? `${await output('git', ['describe', '--always', '--dirty'], here)} (compiled, dist/)` : `compiled in ${checkout} (--imapfw; the bench's checkout is at ${await output('git', ['describe', '--always', '--dirty'], here)})`}.
${options.rounds} measured runs of each tool per scenario, alternating; medians below. Corpora (seeded):
${corpora.map((line) => `- ${line}`).join('\n')}

${table}

- ratio: imapfw's median wall time over mbsync's. CPU: user + sys of the whole process. RSS: peak resident set
  (GNU time's %M: the largest single process; for imapfw, its one Node process with all its worker threads).
- Same work for both: pull everything into a Maildir++ tree, fsync every message (imapfw's default; mbsync
  \`FSync yes\`), keep INTERNALDATE as mtime (mbsync \`CopyArrivalDate yes\`). imapfw runs with its defaults
  (4 connections); mbsync uses one. The server is a local Dovecot; its files sit in the page cache.
- After every run, each tool's Maildir is checked against the server: messages and unseen per folder.
- Reruns are measured ${SETTLE_MS / 1000} s or more after the last write to the Maildirs (see bench/scenarios.ts).
- Two-way sync: \`imapfw sync\` (its defaults: full policy, fsync) against mbsync \`Sync All\`, \`Create Both\`,
  \`Expunge None\`, each on its own copy of the corpus (same seed), after the same number of new messages and
  flag changes on the server and in the Maildir; checked after each run: the server holds every new message of
  both sides and the Maildir matches it.
- Set-up runs (the first mirror or sync before reruns are measured) are not measured and run without fsync.
- Migrations: \`imapfw migrate\` of the main corpus to an empty account of the same Dovecot; messages/s and MB/s
  over the whole wall time; each target is checked against the source (messages and unseen per folder).
  No contender: imapsync is not installed here.
- Targets: issue 11's (wall and CPU as ratios to mbsync's medians, or in seconds; peak RSS).

## Every run

${runsSection(results)}
${migrationRuns(migrations)}`;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    log(`failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
