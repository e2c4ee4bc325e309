// `imapfw ctl` and the one-shot hand-off, as a user runs them (the CLI in a
// child process), against a fake daemon serving the socket in this process.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExitCode, serveControl, type ControlServer, type RunSummary } from '../../src/api/index.js';
import { handOffToDaemon, type HandOffRun } from '../../src/contrib/cli/hand-off.js';
import { accountName } from '../../src/contrib/cli/maildir-app-options.js';
import { describeAppRun, startApp } from '../support/cli-run.js';
import { tempDirs } from '../support/temp-dirs.js';
import { FakeDaemon } from './fake-daemon.js';

const servers: ControlServer[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

async function daemonAt(dir: string, daemon: FakeDaemon): Promise<ControlServer> {
  const server = await serveControl(daemon, { stateDir: dir });
  servers.push(server);
  return server;
}

const stateDir = tempDirs('ctl-cli');

/** Ends the daemon's pass as soon as one starts. */
async function endPassWhenAsked(daemon: FakeDaemon, copied: number, exitCode: number): Promise<void> {
  await expect.poll(() => daemon.passesRunning, { timeout: 30_000 }).toBe(1);
  daemon.endPass(copied, exitCode);
}

// Each CLI run starts a Node process through tsx: slow on a loaded machine.
describe('imapfw ctl', { timeout: 240_000 }, () => {
  it('status prints a table per account and folder, or the status as JSON', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon('sync', ['work']);
    const server = await daemonAt(dir, daemon);

    const human = await startApp('ctl', ['status', '--state-dir', dir]).done;
    expect(human.code, describeAppRun(human)).toBe(0);
    const lines = human.stdout.split('\n');
    expect(lines[0]).toMatch(new RegExp(`^imapfw sync daemon, pid ${process.pid}, running since .*; socket ${server.path}$`));
    expect(human.stdout).toContain('account work: imaps://me@work.example <-> /home/me/Mail/work');
    expect(human.stdout).toMatch(/ {2}connection {3}backing off \(the server could not be reached\), next try [^(]+ \(.+\)\n/);
    expect(human.stdout).toMatch(/ {2}last pass {4}.*, 1\.5 s: copied 3, deleted 1, flags 2, errors 1 \(exit 4\)/);
    expect(human.stdout).toMatch(/ {2}last error {3}.* \[ENETWORK\] connection refused/);
    const table = lines.slice(lines.findIndex((line) => line.includes('FOLDER')));
    expect(table[0]).toMatch(/^ {2}FOLDER +WATCH +LAST PASS +NEXT POLL +LAST ERROR$/);
    expect(table[1]).toMatch(/^ {2}INBOX +idle +.* copied 3 +pushed +-$/);
    // A time of another day than today prints with its date: '09:05:00' or '2026-11-26 09:05:00'.
    expect(table[2]).toMatch(/^ {2}Archive +poll +- +[^(]+ \(.+\) +[^(]+ \(.+\) \[ENETWORK\] connection refused$/);

    const json = await startApp('ctl', ['status', '--json', '--state-dir', dir]).done;
    expect(json.code, describeAppRun(json)).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({ ...daemon.status(), socket: server.path });
  });

  it('sync asks for a pass, waits for it and prints its summary and exit code as a one-shot run would', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    await daemonAt(dir, daemon);
    const run = startApp('ctl', ['sync', 'INBOX', 'Archive', '--state-dir', dir]);
    await endPassWhenAsked(daemon, 4, ExitCode.PARTIAL);
    const result = await run.done;
    expect(result.code, describeAppRun(result)).toBe(ExitCode.PARTIAL);
    expect(daemon.syncRequests).toEqual([['INBOX', 'Archive']]);
    expect(result.stdout).toMatch(new RegExp(`^imapfw sync: a pass run by the daemon \\(pid ${process.pid}\\) for INBOX, Archive\\n`));
    expect(result.stdout).toMatch(/\n {2}copied {11}4 messages \(0\.0 MB/);

    const json = startApp<RunSummary>('ctl', ['sync', '--json', '--state-dir', dir]);
    await endPassWhenAsked(daemon, 2, ExitCode.OK);
    const jsonResult = await json.done;
    expect(jsonResult.code, describeAppRun(jsonResult)).toBe(0);
    expect(jsonResult.summary).toMatchObject({ copied: 2, complete: true });
    expect(daemon.syncRequests[1]).toBeUndefined();
  });

  it('pause, resume and stop say what they did', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon();
    await daemonAt(dir, daemon);
    for (const [action, said] of [
      ['pause', /^paused: no pass starts/],
      ['resume', /^resumed$/m],
      ['stop', /^stopped$/m],
    ] as const) {
      const run = await startApp('ctl', [action, '--state-dir', dir]).done;
      expect(run.code, describeAppRun(run)).toBe(0);
      expect(run.stdout).toMatch(said);
    }
    expect(daemon.calls).toEqual(['pause', 'resume', 'stop']);
  });

  it('with no daemon, says so and exits 6 (NO_DAEMON); a bad action is a usage error', async () => {
    const dir = stateDir();
    const run = await startApp('ctl', ['status', '--state-dir', dir]).done;
    expect(run.code, describeAppRun(run)).toBe(ExitCode.NO_DAEMON);
    expect(run.stderr).toContain(`imapfw: no imapfw daemon runs for this state directory (no socket at ${join(dir, 'imapfw.sock')}); start one with`);
    expect(run.stdout).toBe('');
    const sync = await startApp('ctl', ['sync', 'INBOX', '--state-dir', dir]).done;
    expect(sync.code, describeAppRun(sync)).toBe(ExitCode.NO_DAEMON);

    const bad = await startApp('ctl', ['explode', '--state-dir', dir]).done;
    expect(bad.code, describeAppRun(bad)).toBe(ExitCode.USAGE);
    expect(bad.stderr).toContain('unknown ctl action "explode"');
  });

  it('--config shows only its accounts, and a daemon that does not serve them all refuses the sync', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon('sync', ['work', 'home']);
    await daemonAt(dir, daemon);
    const config = join(dir, 'accounts.mjs');
    writeFileSync(config, `export default [{ name: 'home', remote: 'imaps://me@home.example', maildir: '/tmp/home', password: { env: 'HOME' } }];`);
    const status = await startApp('ctl', ['status', '--json', '--config', config, '--state-dir', dir]).done;
    expect(status.code, describeAppRun(status)).toBe(0);
    expect((JSON.parse(status.stdout) as { accounts: { account: string }[] }).accounts.map((account) => account.account)).toEqual(['home']);

    const other = join(dir, 'other.mjs');
    writeFileSync(other, `export default { remote: 'imaps://me@club.example', maildir: '/tmp/club', password: { env: 'HOME' } };`);
    const refused = await startApp('ctl', ['sync', '--config', other, '--state-dir', dir]).done;
    expect(refused.code, describeAppRun(refused)).toBe(ExitCode.USAGE);
    expect(refused.stderr).toContain(`does not serve account ${accountName('sync', { remote: 'imaps://me@club.example', maildir: '/tmp/club' })}`);
    expect(daemon.syncRequests).toEqual([]);
  });
});

describe('one-shot hand-off', { timeout: 240_000 }, () => {
  // Nothing listens on port 9 of this machine: a run that does the work itself fails to connect (exit 4).
  const remote = 'imap://me@127.0.0.1:9';

  function oneShot(app: 'sync' | 'mirror', dir: string, ...extra: string[]) {
    return startApp<RunSummary>(app, ['--remote', remote, '--maildir', join(dir, 'Mail'), '--password-env', 'HOME', '--state-dir', dir, '--timeout', '5', ...extra]);
  }

  it("a one-shot sync whose account a daemon serves prints the daemon's pass summary and exits with its code, with --json too", async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon('sync', [accountName('sync', { remote, maildir: join(dir, 'Mail') })]);
    await daemonAt(dir, daemon);

    const human = oneShot('sync', dir, '--folders', 'INBOX');
    await endPassWhenAsked(daemon, 5, ExitCode.PARTIAL);
    const result = await human.done;
    expect(result.code, describeAppRun(result)).toBe(ExitCode.PARTIAL);
    expect(result.stdout).toMatch(new RegExp(`^imapfw sync: ${remote} \\(left\\) <-> ${join(dir, 'Mail')} \\(right\\), sync full\\n`));
    expect(result.stdout).toMatch(/\n {2}copied {11}5 messages/);
    expect(result.stderr).toContain(`imapfw sync: a daemon serves this account (socket ${join(dir, 'imapfw.sock')}); it ran this pass`);
    expect(daemon.syncRequests).toEqual([['INBOX']]);

    const json = oneShot('sync', dir, '--json');
    await endPassWhenAsked(daemon, 1, ExitCode.OK);
    const jsonResult = await json.done;
    expect(jsonResult.code, describeAppRun(jsonResult)).toBe(0);
    expect(jsonResult.summary).toMatchObject({ copied: 1, complete: true });
    expect(daemon.syncRequests[1]).toBeUndefined();
  });

  it('with a daemon running another app, the one-shot run does the work itself (as without a daemon)', async () => {
    const dir = stateDir();
    const mirrorDaemon = new FakeDaemon('mirror', [accountName('sync', { remote, maildir: join(dir, 'Mail') })]);
    await daemonAt(dir, mirrorDaemon);
    const itself = await oneShot('sync', dir).done;
    expect(itself.code, describeAppRun(itself)).toBe(ExitCode.NETWORK);
    expect(itself.stderr).not.toContain('a daemon serves');
    expect(mirrorDaemon.syncRequests).toEqual([]);
  });
});

describe('handOffToDaemon', () => {
  const run = (dir: string, accounts: string[], more: Partial<HandOffRun> = {}): HandOffRun => ({ stateDir: dir, json: true, dryRun: false, accounts: accounts.map((name) => ({ name, folders: [] })), ...more });
  const text = { title: 'imapfw sync: test', outcome: { complete: 'complete', incomplete: 'INCOMPLETE' } };

  it('leaves the run to itself without a daemon, for a dry run, a daemon, another app or an account not served; runs nothing then', async () => {
    const dir = stateDir();
    expect(await handOffToDaemon('sync', run(dir, ['work']), text)).toBeUndefined();
    const daemon = new FakeDaemon('sync', ['work']);
    await daemonAt(dir, daemon);
    expect(await handOffToDaemon('sync', run(dir, ['work'], { dryRun: true }), text)).toBeUndefined();
    expect(await handOffToDaemon('sync', run(dir, ['work'], { watch: { interval: 300 } }), text)).toBeUndefined();
    expect(await handOffToDaemon('mirror', run(dir, ['work']), text)).toBeUndefined();
    expect(await handOffToDaemon('sync', run(dir, ['work', 'home']), text)).toBeUndefined();
    expect(daemon.syncRequests).toEqual([]);
  });

  it('narrows the pass to --folders given as plain names, the same for every account; globs leave it whole', async () => {
    const dir = stateDir();
    const daemon = new FakeDaemon('sync', ['work', 'home']);
    await daemonAt(dir, daemon);
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    const werr = process.stderr.write;
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      for (const folders of [['INBOX', 'Sent'], ['INBOX', 'Archive/*']]) {
        const handed = handOffToDaemon('sync', { ...run(dir, []), accounts: ['work', 'home'].map((name) => ({ name, folders })) }, text);
        await endPassWhenAsked(daemon, 0, 0);
        expect(await handed).toBe(0);
      }
    } finally {
      process.stdout.write = write;
      process.stderr.write = werr;
    }
    expect(daemon.syncRequests).toEqual([['INBOX', 'Sent'], undefined]);
  });
});
