import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConfigError } from '../../api/index.js';

/**
 * Passwords that must travel through a shared store (a job queue) sealed
 * with AES-256-GCM: only a holder of the key reads them, and a changed or
 * moved box (its `context`, e.g. the job it belongs to, is authenticated
 * too) fails to open instead of giving a wrong password.
 */
const VERSION = 'aes256gcm.v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The 32-byte key held (base64) in the environment variable `name`: `openssl rand -base64 32`. */
export function secretsKeyFromEnv(name: string): Buffer {
  const text = process.env[name];
  if (text === undefined || text === '') throw new ConfigError(`--secrets-key-env ${name}: the environment variable ${name} is not set (generate a key with: openssl rand -base64 32)`);
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== 32) throw new ConfigError(`--secrets-key-env ${name}: ${name} must hold 32 bytes in base64 (openssl rand -base64 32), it holds ${key.length}`);
  return key;
}

export function sealSecret(key: Buffer, secret: string, context: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
}

export function openSecret(key: Buffer, sealed: string, context: string): string {
  const [version, data] = sealed.split(':');
  if (version !== VERSION || data === undefined) throw new ConfigError(`a sealed secret of an unknown kind ("${version}")`);
  const bytes = Buffer.from(data, 'base64');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new ConfigError('a sealed password does not open with this key: give the workers the same --secrets-key-env key as the enqueuing run');
  }
}
