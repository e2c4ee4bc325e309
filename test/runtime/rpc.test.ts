import { afterEach, describe, expect, it } from 'vitest';
import { PartialStoreError } from '../../src/api/errors.js';
import type { Runtime } from '../../src/core/runtime/runtime.js';
import type { Caller, Echo } from './fixtures/echo-app.js';
import { startEcho } from './support.js';

describe.each(['thread', 'inline', 'pool'] as const)('requests on the %s backend', (backend) => {
  let runtime: Runtime | undefined;
  afterEach(async () => {
    await runtime?.stop();
    expect(runtime?.supervisor.alive).toEqual([]);
    runtime = undefined;
  });

  it('round-trips a request, main to actor and actor to actor', async () => {
    runtime = await startEcho({ backend });
    expect(await runtime.client<Echo>('echo').echo('hi')).toBe('echo:hi');
    expect(await runtime.client<Caller>('caller').relay('there')).toBe('echo:there');
  });

  it('transfers byte buffers both ways instead of copying them', async () => {
    runtime = await startEcho({ backend });
    const input = new Uint8Array(1024).fill(1);
    const { sum, out } = await runtime.client<Echo>('echo').bytes(input, 4096);
    expect(sum).toBe(1024);
    expect(input.byteLength).toBe(0); // detached: it was moved, not copied
    expect(out.byteLength).toBe(4096);
    expect(out[4095]).toBe(7);
  });

  it('keeps the class and code of a typed error thrown by an actor', async () => {
    runtime = await startEcho({ backend });
    const failure = await runtime.client<Echo>('echo').throwTyped().catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'ImapfwError', code: 'EEXAMPLE', retryable: true, message: 'typed failure' });
    expect((failure as Error).constructor.name).toBe('ImapfwError');
  });

  it('keeps the plain data a typed error carries (what a partial store did)', async () => {
    runtime = await startEcho({ backend });
    const failure = await runtime.client<Echo>('echo').throwPartial().catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(PartialStoreError);
    expect(failure).toMatchObject({ code: 'ESTORE', folder: 'INBOX', stored: ['7', null], failures: [{ index: 1, reason: 'refused' }] });
  });
});

describe('topology checks', () => {
  it('refuses a channel declared after start, naming it', async () => {
    const runtime = await startEcho({ backend: 'inline' });
    try {
      expect(() => runtime.topology.connect('echo', 'caller', 'late')).toThrow(/channel "late" declared after the app started/);
    } finally {
      await runtime.stop();
    }
  });

  it('refuses to start a worker whose channel has no other end, naming the channel', async () => {
    const { Runtime } = await import('../../src/core/runtime/runtime.js');
    const runtime = new Runtime({ appModule: 'unused' });
    runtime.topology.connect('main', 'ghost', 'to-ghost');
    await expect(runtime.start()).rejects.toThrow(/channel "to-ghost" has no other end: no actor named "ghost"/);
  });
});
