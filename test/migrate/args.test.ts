// The migrate app's command line, parsed without a server.
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { parseMigrateArgs } from '../../src/apps/migrate/args.js';
import { tempDirs } from '../support/temp-dirs.js';

const scratch = tempDirs('migrate-args');
const base = ['--from', 'imaps://me@old.example.org', '--to', 'imaps://me@new.example.org', '--from-password-env', 'HOME', '--to-password-env', 'HOME'];

describe('migrate args', () => {
  let home: string;
  const savedHome = process.env.HOME;
  beforeEach(() => {
    home = scratch();
    process.env.HOME = home;
  });
  afterEach(() => {
    process.env.HOME = savedHome;
  });

  it('reads a leading ~ in --state-dir=~/... as the home directory', async () => {
    expect((await parseMigrateArgs([...base, '--state-dir=~/state'])).stateDir).toBe(join(home, 'state'));
  });
});

describe('migrate options', () => {
  it('refuses an unknown --log-level as the command line is parsed, naming the option and the levels', async () => {
    await expect(parseMigrateArgs([...base, '--log-level', 'loud'])).rejects.toThrow(ConfigError);
    await expect(parseMigrateArgs([...base, '--log-level', 'loud'])).rejects.toThrow(/^option '--log-level <level>' argument 'loud' is invalid\. Expected fatal, error, warn, info, debug or trace\.$/);
  });
});
