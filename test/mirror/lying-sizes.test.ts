// A server that claims 1 KB per message and sends 1 MB: the mirror's copy
// batches are bounded by the bytes that arrive, the run completes, every
// file is byte-identical, and a rerun copies nothing.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startApp } from '../support/cli-run.js';
import { makeMessage } from '../support/messages.js';
import { startScriptedImap } from '../support/scripted-imap/index.js';
import { claimSize } from '../support/scripted-imap/misbehaviours.js';
import { describeRun, type MirrorRun } from './support.js';

/** The bodies of a maildir++ folder's messages, as text, sorted. */
function localBodies(maildir: string, folder: string): string[] {
  const cur = path.join(maildir, `.${folder}`, 'cur');
  return readdirSync(cur).map((file) => readFileSync(path.join(cur, file)).toString('latin1')).sort();
}

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('mirror: a server that lies about message sizes', () => {
  it('claims 1 KB, sends 1 MB, 60 messages: complete, byte-identical, nothing twice', async () => {
    const bodies = Array.from({ length: 60 }, (_, i) => makeMessage({ subject: `liar ${i}`, size: 1 << 20 }));
    const server = await startScriptedImap({ folders: [{ name: 'Liar', messages: bodies.map((body) => ({ body })) }] });
    cleanups.push(() => server.stop());
    server.script.on('UID FETCH', claimSize(() => 1000));
    const dir = mkdtempSync(path.join(tmpdir(), 'imapfw-liar-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const run = () =>
      startApp<MirrorRun['summary']>(
        'mirror',
        ['--remote', server.url('alice'), '--maildir', path.join(dir, 'mail'), '--password-env', 'PW', '--state-dir', path.join(dir, 'state'), '--json', '--folders', 'Liar'],
        { env: { PW: server.users.alice! } },
      ).done;

    const first = await run();
    expect(first.code, describeRun(first as MirrorRun)).toBe(0);
    expect(first.summary!.copied).toBe(60);
    const expected = bodies.map((body) => body.toString('latin1')).sort();
    expect(localBodies(path.join(dir, 'mail'), 'Liar')).toEqual(expected);

    const second = await run();
    expect(second.code, describeRun(second as MirrorRun)).toBe(0);
    expect(second.summary!.copied).toBe(0);
    expect(localBodies(path.join(dir, 'mail'), 'Liar')).toEqual(expected);
  }, 120_000);
});
