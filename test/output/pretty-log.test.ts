// The logger worker's human output (pretty, as on a terminal): no control character from a record reaches it, no secret either.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { LoggerActor } from '../../src/core/logging/logger-actor.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

it('escapes ESC sequences and other controls in messages, values and keys; keeps the line breaks of a stack; redacts secrets', () => {
  dir = mkdtempSync(join(tmpdir(), 'imapfw-pretty-'));
  const file = join(dir, 'log.txt');
  const logger = new LoggerActor({ pretty: true, file, secrets: ['hunter2-pretty'] });
  const record = {
    level: 40,
    time: Date.now(),
    worker: 'imap\u001b]0;title\u0007',
    msg: 'folder "\u001b[2J\u001b[1;1Hcomplete" refused: NO hunter2-pretty\r\nfake line',
    folder: 'a\u009bb',
    ['key\u001b[31m']: 'x',
    err: { message: 'boom', stack: 'Error: boom\n    at somewhere' },
  };
  logger.log(JSON.stringify(record));
  logger.stop();
  const text = readFileSync(file, 'utf8');
  expect(text).toContain('\\x1b[2J');
  expect(text).toContain('a\\x9bb');
  expect(text).toContain('[redacted]');
  expect(text).not.toContain('hunter2-pretty');
  expect(text).toContain('Error: boom\n');
  // Nothing that acts on a terminal: no C0 control but line breaks, no C1 control.
  expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/);
});
