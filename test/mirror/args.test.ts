// The mirror app's command line and --config module, parsed without a server.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseMirrorArgs } from '../../src/apps/mirror/args.js';
import { tempDirs } from '../support/temp-dirs.js';

const scratch = tempDirs('mirror-args');

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
