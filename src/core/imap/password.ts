import { ConfigError } from '../../api/errors.js';
import { registerSecret } from '../output/secrets.js';

/**
 * Where the password comes from:
 * - `{ env: 'NAME' }`: the environment variable NAME;
 * - `{ command: 'pass show mail' }`: the standard output of a shell command
 *   (like mbsync's PassCmd), without its final newline;
 * - `{ value: '...' }`: the password itself;
 * - `{ prompt: true }`: asked on the terminal, without echo;
 * - `{ oauth2Command: 'oama access alice@example.com' }`: no password but an
 *   OAuth2 access token, printed by a command run again at every login;
 * - `{ oauth2: 'alice@example.com' }`: an OAuth2 access token refreshed by
 *   imapfw from the login `imapfw login --user alice@example.com` stored in
 *   `stateDir` (default the state directory).
 */
export type PasswordSource =
  | { env: string }
  | { command: string }
  | { value: string }
  | { prompt: true }
  | { oauth2Command: string }
  | { oauth2: string; stateDir?: string };

/** True when the source gives OAuth2 access tokens rather than a password. */
export function isOAuth2Source(source: PasswordSource): source is { oauth2Command: string } | { oauth2: string; stateDir?: string } {
  return 'oauth2Command' in source || 'oauth2' in source;
}

/** Reads the password for `account` (user@host, used in prompts and error messages only), and registers it as a secret of every output. */
export async function readPassword(source: PasswordSource, account: string): Promise<string> {
  const password = await passwordOf(source, account);
  registerSecret(password);
  return password;
}

/**
 * Registers the passwords that `sources` give without running or asking
 * anything (a value, a set environment variable) as secrets, and returns
 * them: the main thread calls it before any worker starts.
 */
export function registerKnownPasswords(sources: readonly PasswordSource[]): string[] {
  const known = sources.flatMap((source) => ('value' in source ? [source.value] : 'env' in source && process.env[source.env] ? [process.env[source.env]!] : []));
  known.forEach(registerSecret);
  return known;
}

async function passwordOf(source: PasswordSource, account: string): Promise<string> {
  if ('value' in source) {
    if (typeof source.value !== 'string' || source.value === '') throw new ConfigError(`password.value for ${account} is empty`);
    return source.value;
  }
  if ('env' in source) return passwordFromEnv(source.env, account);
  if ('command' in source) return secretFromCommand(source.command, `password.command for ${account}`);
  if ('prompt' in source && source.prompt === true) return passwordFromPrompt(account);
  throw new ConfigError(`password for ${account} must be one of { env }, { command }, { value }, { prompt: true }, { oauth2Command } or { oauth2 }`);
}

function passwordFromEnv(name: string, account: string): string {
  const value = process.env[name];
  if (!value) throw new ConfigError(`password.env: environment variable ${name} (password for ${account}) is not set or empty`);
  return value;
}

/**
 * Runs `command` through /bin/sh. stdin and the terminal stay available to it
 * (a gpg pinentry may need them); stdout is the secret (a password, a token).
 * Its stdout is never quoted in an error. `what` names it in errors.
 */
export async function secretFromCommand(command: string, what: string): Promise<string> {
  // Loaded here: a run whose password comes from elsewhere never starts a process.
  const { spawn } = await import('node:child_process');
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { stdio: ['inherit', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.on('error', (error) => reject(new ConfigError(`${what} could not be started: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code !== 0) {
        const stderr = Buffer.concat(err).toString('utf8').trim().split('\n')[0] ?? '';
        const status = signal ? `was killed by ${signal}` : `exited with status ${code}`;
        reject(new ConfigError(`${what} ${status}${stderr ? `: ${stderr}` : ''}`));
        return;
      }
      const password = Buffer.concat(out).toString('utf8').replace(/\r?\n$/, '');
      if (!password) reject(new ConfigError(`${what} printed nothing`));
      else resolve(password);
    });
  });
}

/** Reads one line from the terminal in raw mode, echoing nothing. */
function passwordFromPrompt(account: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) throw new ConfigError(`password.prompt for ${account} needs a terminal; use password.env or password.command instead`);
  process.stderr.write(`Password for ${account}: `);
  return new Promise((resolve, reject) => {
    let typed = '';
    const finish = (error?: Error): void => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write('\n');
      if (error) reject(error);
      else if (!typed) reject(new ConfigError(`password prompt for ${account}: no password entered`));
      else resolve(typed);
    };
    const onData = (chunk: Buffer): void => {
      for (const char of chunk.toString('utf8')) {
        if (char === '\r' || char === '\n') return finish();
        if (char === '\u0003') return finish(new ConfigError(`password prompt for ${account} interrupted`));
        if (char === '\u007f' || char === '\b') typed = Array.from(typed).slice(0, -1).join('');
        else typed += char;
      }
    };
    input.setRawMode(true);
    input.resume();
    input.on('data', onData);
  });
}
