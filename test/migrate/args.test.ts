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

describe('migrate number options', () => {
  it.each([
    [['--max-size', '10k'], "option '--max-size <bytes>' argument '10k' is invalid. Expected a whole number of at least 1."],
    [['--max-age', 'abc'], "option '--max-age <days>' argument 'abc' is invalid. Expected a number of days of at least 0."],
    [['--min-age', ''], "option '--min-age <days>' argument '' is invalid. Expected a number of days of at least 0."],
    [['--max-connections', '0'], "option '--max-connections <n>' argument '0' is invalid. Expected a whole number of at least 1."],
    [['--max-rate-per-server', 'fast'], "option '--max-rate-per-server <rate>' argument 'fast' is invalid. Expected bytes per second such as 20MB/s, 500KiB/s or 1000000."],
    [['--max-messages-per-server', 'ten'], "option '--max-messages-per-server <rate>' argument 'ten' is invalid. Expected messages per second such as 50 or 50/s."],
  ])('%j is a ConfigError naming the option', async (flags, message) => {
    await expect(parseMigrateArgs([...base, ...flags])).rejects.toThrow(ConfigError);
    await expect(parseMigrateArgs([...base, ...flags])).rejects.toThrow(message);
  });
});
