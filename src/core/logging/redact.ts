/** Keys whose values never reach a log line, at any depth (known secret values are redacted from the whole line as well: see output/secrets.ts). */
const SECRET_KEY = /pass(word)?|secret|token|authorization|credential|apikey/i;

import { REDACTED } from '../output/secrets.js';


/** A copy of a log record with every secret-looking value replaced. */
export function redactSecrets<T>(value: T, depth = 0): T {
  if (depth > 6 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && item !== undefined && item !== null ? REDACTED : redactSecrets(item, depth + 1);
  }
  return out as T;
}
