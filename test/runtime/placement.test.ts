import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/core/runtime/runtime.js';
import type { ErrorRecord } from '../../src/core/runtime/link.js';
import type { Caller, Echo } from './fixtures/echo-app.js';
import { eventually, startEcho } from './support.js';

let runtime: Runtime | undefined;
afterEach(async () => {
  if (!runtime) return;
  await runtime.stop();
  expect(runtime.supervisor.alive).toEqual([]);
  runtime = undefined;
});

describe.each(['thread', 'pool'] as const)('actors sharing a worker on the %s backend', (backend) => {
  it('run in one thread and call each other directly: a class instance holding a function passes through unchanged', async () => {
    runtime = await startEcho({ backend, host: 'shared', outsider: true });
    expect(runtime.supervisor.alive.sort()).toEqual(['outsider', 'shared']);
    const [echoThread, callerThread, outsiderThread] = await Promise.all([
      runtime.client<Echo>('echo').threadId(),
      runtime.client<Caller>('caller').threadId(),
      runtime.client<Caller>('outsider').threadId(),
    ]);
    expect(callerThread).toBe(echoThread);
    expect(outsiderThread).not.toBe(echoThread);
    expect(await runtime.client<Caller>('caller').sameObjectBack()).toBe(true);
    // Across threads the same call goes over the channel, which cannot clone a function.
    await expect(runtime.client<Caller>('outsider').sameObjectBack()).rejects.toThrow(/could not be cloned/i);
    expect(await runtime.client<Caller>('outsider').relay('over the channel')).toBe('echo:over the channel');
  });
});

it('inline actors call each other directly on the main thread', async () => {
  runtime = await startEcho({ backend: 'inline' });
  expect(await runtime.client<Caller>('caller').sameObjectBack()).toBe(true);
});

it('inline actors of two runtimes on the main thread call only their own runtime’s peers', async () => {
  const first = await startEcho({ backend: 'inline', password: 'first' });
  runtime = await startEcho({ backend: 'inline', password: 'second' });
  try {
    expect(await first.client<Caller>('caller').echoPassword()).toBe('first');
    expect(await runtime.client<Caller>('caller').echoPassword()).toBe('second');
  } finally {
    await first.stop();
  }
  // The first runtime's actors stopped; the second's still answer.
  expect(await runtime.client<Caller>('caller').echoPassword()).toBe('second');
});

it('actors on workers of their own talk over the channel', async () => {
  runtime = await startEcho({ backend: 'thread' });
  await expect(runtime.client<Caller>('caller').sameObjectBack()).rejects.toThrow(/could not be cloned/i);
});

it('a crash in a shared worker reports on every hosted actor’s link; the restart policy restarts them all and peers reconnect', async () => {
  runtime = await startEcho({ backend: 'thread', host: 'shared', outsider: true }, { kind: 'restart', maxRestarts: 1, initialDelayMs: 10 });
  const records: ErrorRecord[] = [];
  runtime.supervisor.onRecord = (record) => records.push(record);
  const before = await runtime.client<Echo>('echo').threadId();
  await runtime.client<Echo>('echo').crashLater();
  expect(await eventually(() => (records.length >= 2 ? true : undefined))).toBe(true);
  expect(records.map((r) => [r.worker, r.kind, r.message]).sort()).toEqual([
    ['caller', 'exception', 'boom'],
    ['echo', 'exception', 'boom'],
  ]);
  // Both actors are back, in one new thread, and direct calls work again.
  expect(await eventually(() => runtime!.client<Caller>('caller').relay('again'))).toBe('echo:again');
  const after = await runtime.client<Echo>('echo').threadId();
  expect(after).not.toBe(before);
  expect(await runtime.client<Caller>('caller').threadId()).toBe(after);
  expect(await runtime.client<Caller>('caller').sameObjectBack()).toBe(true);
  // The peer on another worker was handed its new end of the channel.
  expect(await eventually(() => runtime!.client<Caller>('outsider').relay('reconnected'))).toBe('echo:reconnected');
  expect(runtime.supervisor.failedWith).toBeUndefined();
});

it('a crash whose records take a while to post still reports on every hosted actor’s link (the worker is not ended at the first)', async () => {
  runtime = await startEcho({ backend: 'thread', host: 'shared' });
  const records: ErrorRecord[] = [];
  runtime.supervisor.onRecord = (record) => records.push(record);
  await runtime.client<Echo>('echo').crashLaterSlowly();
  await expect(runtime.supervisor.failure).rejects.toThrow(/boom/);
  expect(records.map((r) => [r.worker, r.kind, r.code, r.message]).sort()).toEqual([
    ['caller', 'exception', 'ESLOW', 'boom'],
    ['echo', 'exception', 'ESLOW', 'boom'],
  ]);
});

it('a shared worker ends once every actor on it has stopped', async () => {
  runtime = await startEcho({ backend: 'thread', host: 'shared' });
  expect(runtime.supervisor.alive).toEqual(['shared']);
  await runtime.supervisor.stop('caller');
  // echo still runs on the worker and serves.
  expect(runtime.supervisor.alive).toEqual(['shared']);
  expect(await runtime.client<Echo>('echo').echo('still here')).toBe('echo:still here');
  await runtime.supervisor.stop('echo');
  expect(runtime.supervisor.alive).toEqual([]);
  await expect(runtime.client<Echo>('echo').echo('gone')).rejects.toThrow(/stopped/);
});

it('imapfw graph shows which actors share a worker and which channels are direct calls', () => {
  const cli = fileURLToPath(new URL('../../bin/imapfw.mjs', import.meta.url));
  const app = fileURLToPath(new URL('./fixtures/echo-app.ts', import.meta.url));
  const result = spawnSync(process.execPath, [cli, 'graph', app, '--host', 'shared', '--outsider', '--log-file', '/dev/null'], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('shared (thread): echo, caller');
  expect(result.stdout).toContain('outsider (thread): outsider');
  expect(result.stdout).toContain('logger (thread): logger');
  expect(result.stdout).toMatch(/^ {2}caller -> echo \(direct call\)$/m);
  expect(result.stdout).toMatch(/^ {2}outsider -> echo$/m);
  expect(result.stdout).toMatch(/^ {2}main -> echo$/m);
});
