// Secrets registered in one thread are redacted from every output of every thread; server text is escaped for terminals.
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { forTerminal, printable, registerSecret, withoutSecrets } from '../../src/api/index.js';

/** Runs the fixture thread with `data` and resolves with what it posts. */
function inWorker(data: { register?: string; await?: string; text?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./fixtures/secret-thread.mjs', import.meta.url), { workerData: data });
    worker.once('message', (message: string) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once('error', reject);
  });
}

async function eventually(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('secrets', () => {
  it('redacts a registered secret in every form a text may carry it: raw, inside JSON, inside an IMAP quoted string', () => {
    const secret = 'pa"ss\\word-1';
    registerSecret(secret);
    expect(withoutSecrets(`NO [AUTHENTICATIONFAILED] bad password ${secret}`)).toBe('NO [AUTHENTICATIONFAILED] bad password [redacted]');
    expect(withoutSecrets(JSON.stringify({ msg: `got ${secret}` }))).toBe('{"msg":"got [redacted]"}');
    expect(withoutSecrets(`"pa\\"ss\\\\word-1"`)).toBe('"[redacted]"');
    expect(withoutSecrets(JSON.stringify(`NO echo "pa\\"ss\\\\word-1"`))).not.toContain('word-1');
  });

  it('a secret registered in a worker thread is redacted in the main thread, and one known here reaches a thread started later', async () => {
    const fromWorker = 'token-from-a-worker-7f3a';
    expect(withoutSecrets(`x ${fromWorker}`)).toContain(fromWorker);
    await inWorker({ register: fromWorker });
    await eventually(() => !withoutSecrets(fromWorker).includes(fromWorker));
    expect(withoutSecrets(`x ${fromWorker}`)).toBe('x [redacted]');

    const fromMain = 'password-known-in-main-91c2';
    registerSecret(fromMain);
    const seen = await inWorker({ await: fromMain, text: `late thread: ${fromMain}` });
    expect(seen).toBe('late thread: [redacted]');
  });

  it('leaves values too short to be secrets alone', () => {
    registerSecret('ab');
    expect(withoutSecrets('abc')).toBe('abc');
  });
});

describe('printable', () => {
  it('escapes C0 and C1 controls, ESC sequences, bidi overrides and lone surrogates; keeps other text', () => {
    expect(printable('\u001b]0;pwned\u0007\u001b[2Jcomplete\r\n')).toBe('\\x1b]0;pwned\\x07\\x1b[2Jcomplete\\x0d\\x0a');
    expect(printable('a\u009b31mb\u007f')).toBe('a\\x9b31mb\\x7f');
    expect(printable('evil\u202etxt.exe')).toBe('evil\\u202etxt.exe');
    expect(printable('lone \ud800 surrogate')).toBe('lone \\ud800 surrogate');
    expect(printable('Entwürfe/日本語 \u{1f4e7}')).toBe('Entwürfe/日本語 \u{1f4e7}');
    expect(printable('line one\nline two\tx', { newlines: true })).toBe('line one\nline two\tx');
  });

  it('forTerminal redacts before it escapes', () => {
    registerSecret('s3cret\u001bpart');
    expect(forTerminal('echo s3cret\u001bpart and \u001b[31m')).toBe('echo [redacted] and \\x1b[31m');
  });
});
