// A leading ~ in a path no shell expanded (a config file's, an --option=~/...) is the home directory.
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandHome } from '../src/api/expand-home.js';

describe('expandHome', () => {
  it('reads a leading ~ or ~/ as the home directory, and makes the path absolute', () => {
    expect(expandHome('~')).toBe(homedir());
    expect(expandHome('~/Mail/work')).toBe(join(homedir(), 'Mail', 'work'));
    expect(expandHome('Mail')).toBe(resolve('Mail'));
    expect(expandHome('/srv/mail')).toBe('/srv/mail');
  });

  it('leaves a ~ that does not start the path, or starts a name, as it is', () => {
    expect(expandHome('/srv/~/mail')).toBe('/srv/~/mail');
    expect(expandHome('~mail')).toBe(resolve('~mail'));
  });
});
