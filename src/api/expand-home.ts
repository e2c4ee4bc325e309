import { homedir } from 'node:os';
import { resolve } from 'node:path';

/**
 * `path` made absolute, a leading `~` or `~/` being the home directory, as
 * a shell would have it. A path from a config file or an `--option=~/...`
 * never went through a shell: left as it is, `~/Mail` would be a directory
 * named `~` in the current directory.
 */
export function expandHome(path: string): string {
  return resolve(path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path);
}
