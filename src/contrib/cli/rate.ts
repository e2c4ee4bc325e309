import { InvalidArgumentError } from 'commander';

const BYTE_UNITS: Record<string, number> = { '': 1, b: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3 };

/** A bytes-per-second option (a parser for commander, as positiveInteger is): `20MB/s`, `500KiB/s`, `1.5 MB`, or a number of bytes. */
export function bytesRate(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmg]i?b|b)?\s*(?:\/\s*s)?\s*$/i.exec(value);
  const n = match ? Math.floor(Number(match[1]) * BYTE_UNITS[(match[2] ?? '').toLowerCase()]!) : NaN;
  if (!(n >= 1)) throw new InvalidArgumentError('Expected bytes per second such as 20MB/s, 500KiB/s or 1000000.');
  return n;
}

/** A messages-per-second option: `50` or `50/s` (at least 1). */
export function messagesRate(value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(?:\/\s*s)?\s*$/.exec(value);
  const n = match ? Number(match[1]) : NaN;
  if (!(n > 0)) throw new InvalidArgumentError('Expected messages per second such as 50 or 50/s.');
  return n;
}
