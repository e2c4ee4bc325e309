import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ConfigError } from '../../api/errors.js';

/** Where state lives by default: `$XDG_STATE_HOME/imapfw`, `~/.local/state/imapfw` without it. */
export function defaultStateDir(): string {
  const xdg = process.env.XDG_STATE_HOME;
  // The XDG spec says to ignore a relative path.
  return join(xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.local', 'state'), 'imapfw');
}

/**
 * Keeps letters, digits and `_ . @ + -`; escapes every other byte as `%XX`
 * (and a leading dot), so that distinct accounts get distinct, visible,
 * non-escaping file names.
 */
export function accountFileName(account: string): string {
  if (account === '' || account.length > 200) throw new ConfigError(`account name must be 1 to 200 characters, got ${JSON.stringify(account.slice(0, 40))}`);
  const escaped = [...Buffer.from(account, 'utf8')]
    .map((byte) => (/[A-Za-z0-9_.@+-]/.test(String.fromCharCode(byte)) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  return escaped.startsWith('.') ? `%2E${escaped.slice(1)}` : escaped;
}

