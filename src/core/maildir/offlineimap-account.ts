/** Where offlineimap keeps an account's records (see offlineimap-state.ts), found without reading them. */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../api/errors.js';

export const STATUS_DIR = 'LocalStatus-sqlite';
export const PLAIN_STATUS_DIR = 'LocalStatus';

/**
 * The account directory of offlineimap's metadata `dir`: `dir` itself when
 * it is one (it holds LocalStatus-sqlite/), else its one `Account-*`
 * directory. A ConfigError says what to give instead.
 */
export function offlineimapAccountDir(dir: string): string {
  if (existsSync(join(dir, STATUS_DIR)) || existsSync(join(dir, PLAIN_STATUS_DIR))) return dir;
  let accounts: string[];
  try {
    accounts = readdirSync(dir).filter((name) => name.startsWith('Account-')).sort();
  } catch {
    throw new ConfigError(`offlineimap state: ${dir} is not a directory (give offlineimap's metadata directory, ~/.offlineimap by default)`);
  }
  if (accounts.length === 1) return join(dir, accounts[0]!);
  if (accounts.length === 0) throw new ConfigError(`offlineimap state: ${dir} holds no Account-* directory (give offlineimap's metadata directory: its "metadata" setting, ~/.offlineimap by default)`);
  throw new ConfigError(`offlineimap state: ${dir} holds several accounts (${accounts.join(', ')}): give the one of this Maildir, e.g. ${join(dir, accounts[0]!)}`);
}
