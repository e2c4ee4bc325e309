// The sync app's command line: mbsync's policy words per account, and a
// ConfigError (exit code 2) naming the option for anything it does not understand.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { onSides, parseSyncArgs } from '../../src/apps/sync/args.js';
import { tempDirs } from '../support/temp-dirs.js';

const configDir = tempDirs('sync-config');

const base = ['--remote', 'imaps://me@mail.example.org', '--maildir', '/tmp/imapfw-sync-args-mail', '--password-env', 'HOME'];

describe('sync args', () => {
  it('defaults to mbsync\'s: full sync, no expunge, folders created on both sides, never removed', async () => {
    const [account] = (await parseSyncArgs(base)).accounts;
    expect(account).toMatchObject({ sync: ['full'], expunge: 'none', create: 'both', remove: 'none' });
    expect([...account!.policy.toLeft].sort()).toEqual(['flags', 'gone', 'new']);
    expect([...account!.policy.toRight].sort()).toEqual(['flags', 'gone', 'new']);
    expect(account!.policy.expunge).toEqual({ left: false, right: false });
  });

  it('maps remote/local to the planner\'s sides: the server is left, the Maildir right', async () => {
    const [account] = (await parseSyncArgs([...base, '--sync', 'pull', 'new', '--sync', 'push-flags', '--expunge', 'remote', '--create', 'local', '--remove', 'both'])).accounts;
    expect([...account!.policy.toRight]).toEqual(['new']);
    expect([...account!.policy.toLeft]).toEqual(['flags']);
    expect(account!.policy.expunge).toEqual({ left: true, right: false });
    expect(onSides(account!.create)).toEqual({ left: false, right: true });
    expect(onSides(account!.remove)).toEqual({ left: true, right: true });
  });

  it("takes mbsync's far and near for remote and local", async () => {
    const [account] = (await parseSyncArgs([...base, '--expunge', 'far', '--create', 'Near'])).accounts;
    expect(account).toMatchObject({ expunge: 'remote', create: 'local' });
    expect(account!.policy.expunge).toEqual({ left: true, right: false });
  });

  it('refuses unknown words with a ConfigError naming the option', async () => {
    await expect(parseSyncArgs([...base, '--sync', 'sideways'])).rejects.toThrow(new ConfigError('--sync: unknown sync operation "sideways": ' + "use 'full', 'none', a direction ('pull', 'push'), operations ('new', 'gone', 'flags'), both ('pull new,flags' = pull new messages and flag changes) or joined forms ('pull-new', 'pushflags')"));
    await expect(parseSyncArgs([...base, '--expunge', 'outside'])).rejects.toThrow(/--expunge must be none, remote \(far\), local \(near\) or both, not "outside"/);
    await expect(parseSyncArgs([...base, '--remove', 'yes'])).rejects.toThrow(ConfigError);
    await expect(parseSyncArgs(base.slice(2))).rejects.toThrow(/--remote is required/);
  });

  it('a --config module gives each account its own policies', async () => {
    const dir = configDir();
    const file = join(dir, 'accounts.mjs');
    writeFileSync(
      file,
      `export default [
        { name: 'work', remote: 'imaps://me@work.example', maildir: '${dir}/work', password: { env: 'HOME' }, sync: 'pull', remove: 'local' },
        { remote: 'imaps://me@home.example', maildir: '${dir}/home', password: { command: 'pass home' }, sync: ['push', 'new'] },
      ];`,
    );
    const { accounts } = await parseSyncArgs(['--config', file, '--expunge', 'both']);
    expect(accounts.map((a) => [a.name.replace(/-[0-9a-f]{10}$/, ''), a.sync, a.expunge, a.remove])).toEqual([
      ['work', ['pull'], 'both', 'local'],
      ['sync-me@home.example', ['push', 'new'], 'both', 'none'],
    ]);
    await expect(parseSyncArgs(['--config', join(dir, 'missing.mjs')])).rejects.toThrow(/--config .*missing\.mjs: cannot load it/);
  });

  it('a --config module with a key the sync app does not know is refused, with the key it likely meant', async () => {
    const file = join(configDir(), 'accounts.mjs');
    writeFileSync(file, `export default [{ remote: 'imaps://me@work.example', maildir: '/tmp/imapfw-sync-args-work', password: { env: 'HOME' }, expnuge: 'both' }];`);
    await expect(parseSyncArgs(['--config', file])).rejects.toThrow(ConfigError);
    await expect(parseSyncArgs(['--config', file])).rejects.toThrow(/^--config \S+accounts\.mjs: account 1: unknown key "expnuge" \(did you mean "expunge"\?\); an account may hold name, .*, sync, expunge, create, remove$/);
  });

  // Ignored, they would leave the user believing the run went to that server or Maildir.
  it("refuses one account's --remote, --maildir and password flags with --config, saying to put them in the file", async () => {
    const file = join(configDir(), 'accounts.mjs');
    writeFileSync(file, `export default { remote: 'imaps://me@work.example', maildir: '/tmp/imapfw-sync-args-work', password: { env: 'HOME' } };`);
    await expect(parseSyncArgs(['--config', file, '--remote', 'imaps://me@other.example'])).rejects.toThrow(ConfigError);
    await expect(parseSyncArgs(['--config', file, '--remote', 'imaps://me@other.example'])).rejects.toThrow(
      `--remote does not go with --config ${file}: put each account's server, Maildir and password in the file`,
    );
    await expect(parseSyncArgs(['--config', file, '--maildir', '/tmp/x', '--password-env', 'HOME', '--oauth2', 'me@work.example'])).rejects.toThrow(
      `--maildir, --password-env, --oauth2 do not go with --config ${file}`,
    );
    // The run-wide flags, and the account options that are every account's default, still go with it.
    const { accounts, dryRun } = await parseSyncArgs(['--config', file, '--dry-run', '--layout', 'nested', '--folders', 'INBOX', '--expunge', 'both']);
    expect(dryRun).toBe(true);
    expect(accounts[0]).toMatchObject({ layout: 'nested', folders: ['INBOX'], expunge: 'both' });
  });
});
