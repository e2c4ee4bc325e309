import { randomUUID } from 'node:crypto';
import { openSync, closeSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AuthError, ConfigError } from '../../api/errors.js';
import { accountFileName, defaultStateDir } from '../state/paths.js';
import type { ProviderSettings } from './providers.js';
import { registerSecret } from '../output/secrets.js';
import { makeDirsSync } from '../make-dirs.js';

/** What `imapfw login` leaves in the state directory for one address (file mode 0600). */
export interface StoredLogin {
  address: string;
  settings: ProviderSettings;
  refreshToken: string;
  /** The last access token and when it expires (ms since the epoch), shared by every connection and run. */
  accessToken?: string;
  expiresAt?: number;
}

/** `<stateDir>/oauth2/<address>.json`. */
export function loginPath(address: string, stateDir = defaultStateDir()): string {
  return join(stateDir, 'oauth2', `${accountFileName(address.toLowerCase())}.json`);
}

/** The stored login of `address`; AuthError (run `imapfw login`) when there is none. */
export function readLogin(path: string, address: string): StoredLogin {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new AuthError(`no OAuth2 login for ${address} (no ${path}); run \`imapfw login --user ${address} --provider ...\` first`);
    throw new ConfigError(`cannot read the OAuth2 login ${path}: ${(error as Error).message}`);
  }
  try {
    const login = JSON.parse(text) as StoredLogin;
    if (typeof login.refreshToken !== 'string' || typeof login.settings?.clientId !== 'string') throw new Error('fields missing');
    for (const secret of [login.refreshToken, login.accessToken, login.settings.clientSecret]) if (secret) registerSecret(secret);
    return login;
  } catch {
    throw new AuthError(`the OAuth2 login ${path} is damaged; run \`imapfw login --user ${address} --provider ...\` again`);
  }
}

/** Writes the login whole (a private temporary file renamed into place), readable by its owner only. */
export function writeLogin(path: string, login: StoredLogin): void {
  makeDirsSync(join(path, '..'), 0o700);
  const temporary = `${path}.${randomUUID()}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(login)}\n`, { mode: 0o600 });
  chmodSync(temporary, 0o600);
  renameSync(temporary, path);
}

/** Removes the login; false when there was none. */
export function removeLogin(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** A lock older than this is left over by a killed process (a refresh takes seconds at most). */
const STALE_LOCK_MS = 60_000;

/**
 * Runs `work` holding `<path>.lock`: the connections of a run (threads) and
 * concurrent runs refresh one at a time, so a provider that rotates refresh
 * tokens never sees the old one used twice.
 */
export async function withLoginLock<T>(path: string, work: () => Promise<T>): Promise<T> {
  const lock = `${path}.lock`;
  makeDirsSync(join(path, '..'), 0o700);
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx', 0o600));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        // Released meanwhile.
      }
      await sleep(25 + Math.random() * 50);
    }
  }
  try {
    return await work();
  } finally {
    try {
      unlinkSync(lock);
    } catch {
      // Already gone.
    }
  }
}
