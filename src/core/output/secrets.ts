import { BroadcastChannel } from 'node:worker_threads';

/**
 * The secrets of this process (passwords, tokens), blanked out of every
 * output: log lines, summaries, `--json`, error messages. A secret is
 * registered where it is learnt (a password read from an environment
 * variable or a command in an IMAP worker, a token fetched by an OAuth2
 * flow) and reaches every thread of the process over a BroadcastChannel; a
 * thread that starts later asks the others for the ones already known.
 * Each thread also redacts what leaves it (its log lines, the errors it
 * throws to another thread) with what it knows at that moment, so the
 * thread that learnt a secret never lets it out, whatever the timing.
 */

export const REDACTED = '[redacted]';

type Announcement = { type: 'ask' } | { type: 'secrets'; values: string[] };

const known = new Set<string>();
/** Every form a known secret may take in a text: as is, inside a JSON string, inside an IMAP quoted string. Longest first. */
let forms: string[] = [];
let channel: BroadcastChannel | undefined;

function ensureChannel(): BroadcastChannel {
  if (channel) return channel;
  channel = new BroadcastChannel('imapfw:secrets');
  channel.onmessage = (event) => {
    const message = (event as { data: Announcement }).data;
    if (message.type === 'ask') {
      if (known.size) channel!.postMessage({ type: 'secrets', values: [...known] } satisfies Announcement);
    } else {
      for (const value of message.values) remember(value);
    }
  };
  // Listening must never keep a process or a thread alive.
  (channel as unknown as { unref(): void }).unref();
  channel.postMessage({ type: 'ask' } satisfies Announcement);
  return channel;
}

/**
 * Shorter values are not redacted: replacing every 'x' of every line would
 * leave nothing readable (and a password that short protects nothing).
 */
const MIN_SECRET_LENGTH = 4;

function remember(value: string): boolean {
  if (typeof value !== 'string' || value.length < MIN_SECRET_LENGTH || known.has(value)) return false;
  known.add(value);
  const jsonForm = JSON.stringify(value).slice(1, -1);
  const quotedForm = value.replace(/[\\"]/g, (c) => `\\${c}`);
  forms = [...new Set([...forms, value, jsonForm, quotedForm, JSON.stringify(quotedForm).slice(1, -1)])].sort((a, b) => b.length - a.length);
  return true;
}

/**
 * Registers a secret (a password, an access or refresh token): from now on
 * every output of this process shows `[redacted]` in its place. Call it as
 * soon as the value is known, before it is sent anywhere.
 */
export function registerSecret(value: string): void {
  ensureChannel();
  if (remember(value)) channel!.postMessage({ type: 'secrets', values: [value] } satisfies Announcement);
}

/** `text` with every known secret replaced by `[redacted]`. */
export function withoutSecrets(text: string): string {
  ensureChannel();
  let clean = text;
  for (const form of forms) if (clean.includes(form)) clean = clean.split(form).join(REDACTED);
  return clean;
}

/** Starts listening for the secrets other threads learn (importing the module does not: only a first use). */
export function listenForSecrets(): void {
  ensureChannel();
}
