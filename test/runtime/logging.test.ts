import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { Caller, Echo } from './fixtures/echo-app.js';
import { startEcho } from './support.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

it('log records from two workers reach the logger worker tagged with their names, secrets redacted', async () => {
  dir = mkdtempSync(join(tmpdir(), 'imapfw-log-'));
  const logFile = join(dir, 'log.jsonl');
  const password = 'hunter2-very-secret';
  const runtime = await startEcho({ backend: 'thread', logFile, password });
  await runtime.client<Echo>('echo').log('hello from echo');
  await runtime.client<Caller>('caller').log('hello from caller');
  runtime.logger.info({ auth: { user: 'alice', password } }, 'hello from main');
  await runtime.stop();

  const text = readFileSync(logFile, 'utf8');
  const records = text.trim().split('\n').map((line) => JSON.parse(line) as { worker: string; msg: string });
  expect(records).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ worker: 'echo', msg: 'hello from echo' }),
      expect.objectContaining({ worker: 'caller', msg: 'hello from caller' }),
      expect.objectContaining({ worker: 'main', msg: 'hello from main' }),
    ]),
  );
  // The echo actor logged its options, which hold the password.
  expect(text).toContain('[redacted]');
  expect(text).not.toContain(password);
});
