// PollWait: an idle engine's wait between asks, which the end of a folder cuts short (SyncAccount.syncAll).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PollWait } from '../../src/api/engines/poll-wait.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('PollWait', () => {
  it('ends at wake() without its timer, and leaves no timer behind', async () => {
    vi.useFakeTimers();
    const idle = new PollWait();
    let ended = 0;
    const waits = [idle.wait(20).then(() => ended++), idle.wait(20).then(() => ended++)];
    expect(vi.getTimerCount()).toBe(2);
    idle.wake();
    await Promise.all(waits);
    expect(ended).toBe(2);
    // A run whose last folder ended must not wait for a poll's timer to exit.
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends at once when a wake came after the generation it is given: a folder that ended while the engine looked', async () => {
    vi.useFakeTimers();
    const idle = new PollWait();
    const looked = idle.generation;
    idle.wake();
    let ended = false;
    const waiting = idle.wait(20, looked).then(() => (ended = true));
    await Promise.resolve();
    await waiting;
    expect(ended).toBe(true);
    expect(vi.getTimerCount()).toBe(0);
    // Given the generation after that wake, it waits as usual.
    void idle.wait(20, idle.generation);
    expect(vi.getTimerCount()).toBe(1);
    idle.wake();
    expect(vi.getTimerCount()).toBe(0);
  });

  it('ends after its time when nothing wakes it, and a later wake() finds nothing to end', async () => {
    vi.useFakeTimers();
    const idle = new PollWait();
    let ended = false;
    const waiting = idle.wait(20).then(() => (ended = true));
    await vi.advanceTimersByTimeAsync(19);
    expect(ended).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await waiting;
    expect(ended).toBe(true);
    idle.wake();
    expect(vi.getTimerCount()).toBe(0);
  });
});
