// The mirror app's command line and --config module, parsed without a server.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { parseMirrorArgs } from '../../src/apps/mirror/args.js';
import { tempDirs } from '../support/temp-dirs.js';
import { CLI } from './helpers.js';

const scratch = tempDirs('mirror-args');
const base = ['--remote', 'imap://alice@127.0.0.1:1143', '--maildir', '/tmp/imapfw-mirror-args-mail', '--password-env', 'HOME'];

/** A --config module holding `accounts` (JS source), in a directory of its own. */
function configFile(accounts: string): string {
  const file = join(scratch(), 'accounts.mjs');
  writeFileSync(file, `export default ${accounts};\n`);
  return file;
}

describe('mirror --config', () => {
  let home: string;
  const savedHome = process.env.HOME;
  beforeEach(() => {
    home = scratch();
    process.env.HOME = home;
  });
  afterEach(() => {
    process.env.HOME = savedHome;
  });

  it('reads a leading ~ in an account\'s paths, and in --state-dir=~/..., as the home directory', async () => {
    mkdirSync(join(home, '.mbsync'));
    const file = configFile(`{ name: 'a', remote: 'imap://alice@127.0.0.1:1143', maildir: '~/Mail/a', password: { env: 'HOME' }, mbsyncState: '~/.mbsync' }`);
    const args = await parseMirrorArgs(['--config', file, '--state-dir=~/state']);
    expect(args.accounts[0]).toMatchObject({ maildir: join(home, 'Mail', 'a'), mbsyncState: join(home, '.mbsync') });
    expect(args.stateDir).toBe(join(home, 'state'));
  });

  it('reads ~ in --maildir=~/... and --offlineimap-state=~/... too', async () => {
    mkdirSync(join(home, '.offlineimap', 'Account-a'), { recursive: true });
    const args = await parseMirrorArgs(['--remote', 'imap://alice@127.0.0.1:1143', '--maildir=~/Mail', '--password-env', 'HOME', '--offlineimap-state=~/.offlineimap']);
    expect(args.accounts[0]).toMatchObject({ maildir: join(home, 'Mail'), offlineimapState: join(home, '.offlineimap', 'Account-a') });
  });
});

describe('mirror --config keys', () => {
  // A mistyped key would be ignored, and its default used in silence.
  it('refuses an unknown key, naming it, the account, the file and the keys there are; a near miss is told what it means', async () => {
    const file = configFile(`[{ name: 'a', remote: 'imap://alice@127.0.0.1:1143', maildir: '/tmp/imapfw-mirror-args-a', password: { env: 'HOME' }, layot: 'nested', bogusKey: 1 }]`);
    const parsed = parseMirrorArgs(['--config', file]);
    await expect(parsed).rejects.toThrow(ConfigError);
    await expect(parsed).rejects.toThrow(
      `--config ${file}: account a: unknown keys "layot" (did you mean "layout"?), "bogusKey"; an account may hold name, remote, maildir, password, provider, layout, inbox, mbsyncState, offlineimapState, folders, exclude, allowPlaintext, deleteFolders`,
    );
  });

  it('takes every key it documents', async () => {
    const file = configFile(
      `{ name: 'a', remote: 'imap://alice@127.0.0.1:1143', maildir: '/tmp/imapfw-mirror-args-a', password: { env: 'HOME' }, provider: undefined, layout: 'nested', inbox: undefined, ` +
        `folders: ['INBOX'], exclude: [], allowPlaintext: false, deleteFolders: true }`,
    );
    expect((await parseMirrorArgs(['--config', file])).accounts[0]).toMatchObject({ layout: 'nested', folders: ['INBOX'], deleteFolders: true });
  });

  it("refuses one account's flags given with --config (--remote would be ignored)", async () => {
    const file = configFile(`{ remote: 'imap://alice@127.0.0.1:1143', maildir: '/tmp/imapfw-mirror-args-a', password: { env: 'HOME' } }`);
    await expect(parseMirrorArgs(['--config', file, '--remote', 'imap://bob@127.0.0.1:1143'])).rejects.toThrow(`--remote does not go with --config ${file}`);
    await expect(parseMirrorArgs(['--config', file, '--password-command', 'pass mail'])).rejects.toThrow(ConfigError);
  });

  it('refuses an account that is not an object', async () => {
    await expect(parseMirrorArgs(['--config', configFile(`['imap://alice@127.0.0.1:1143']`)])).rejects.toThrow(/account 1 is not an object/);
  });
});

describe('mirror options', () => {
  it('refuses an unknown --log-level as the command line is parsed, naming the option and the levels', async () => {
    await expect(parseMirrorArgs([...base, '--log-level', 'loud'])).rejects.toThrow(ConfigError);
    await expect(parseMirrorArgs([...base, '--log-level', 'loud'])).rejects.toThrow(
      "option '--log-level <level>' argument 'loud' is invalid. Expected fatal, error, warn, info, debug or trace.",
    );
    expect((await parseMirrorArgs([...base, '--log-level', 'debug'])).logLevel).toBe('debug');
  });

  it.each([
    ['mirror', 'warn on a terminal, else info'],
    ['sync', 'warn on a terminal, else info'],
    ['migrate', 'warn on a terminal and with --batch, else info'],
  ])("imapfw %s --help states --log-level's default", (app, stated) => {
    const help = spawnSync(process.execPath, [CLI, app, '--help'], { encoding: 'utf8' });
    expect(help.status).toBe(0);
    expect(help.stdout.replace(/\s+/g, ' ')).toContain(`fatal, error, warn, info, debug or trace (default: ${stated})`);
  });
});

describe('number options', () => {
  // The README's exit codes: 2, "the message names the option".
  it.each([
    [['--max-connections', 'abc'], "option '--max-connections <n>' argument 'abc' is invalid. Expected a whole number of at least 1."],
    [['--timeout', '-5'], "option '--timeout <seconds>' argument '-5' is invalid. Expected a whole number of at least 1."],
    [['--interval', '1.5'], "option '--interval <seconds>' argument '1.5' is invalid. Expected a whole number of at least 1."],
  ])('%j is a ConfigError naming the option', async (flags, message) => {
    await expect(parseMirrorArgs([...base, ...flags])).rejects.toThrow(ConfigError);
    await expect(parseMirrorArgs([...base, ...flags])).rejects.toThrow(message);
  });
});
