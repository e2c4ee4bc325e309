import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import { afterEach, expect, it } from 'vitest';
import type { Caller, Echo } from './fixtures/echo-app.js';
import { startEcho } from './support.js';
import { LoggerActor } from '../../src/core/logging/logger-actor.js';

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

it('writes the lines still queued on its log ports when it stops', () => {
  dir = mkdtempSync(join(tmpdir(), 'imapfw-log-'));
  const logFile = join(dir, 'log.jsonl');
  const logger = new LoggerActor({ pretty: false, file: logFile });
  const { port1, port2 } = new MessageChannel();
  logger.attachLogPort(port1);
  // Posted, not yet delivered: the 'message' event comes on a later turn of the event loop, after stop.
  port2.postMessage(JSON.stringify({ level: 30, worker: 'echo', msg: 'last words' }));
  logger.stop();
  port1.close();
  expect(readFileSync(logFile, 'utf8')).toContain('"msg":"last words"');
});
