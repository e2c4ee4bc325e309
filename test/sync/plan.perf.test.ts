/** Plans 100,000 messages and prints the CPU time it takes (DESIGN §4: the planner is on every sync's path); speed is watched here, never asserted. */
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import type { MessageMeta } from '../../src/api/types.js';
import { mirrorPolicy, needIdentities, planSync, twoWayPolicy, type PlanInput, type SavedPair } from '../../src/core/sync/index.js';

const N = 100_000;
const FLAGS = [['\\Seen'], ['\\Seen', '\\Answered'], [], ['\\Flagged', '$Work']];

function side(prefix: string, count: number, flags = (i: number) => FLAGS[i % FLAGS.length]!): MessageMeta[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i + 1}`, flags: [...flags(i)], size: 1000 + i, internalDate: i }));
}

/**
 * Best of a few runs, after a warm-up, in milliseconds of wall and of CPU
 * time. CPU time is the figure to read: on a shared machine, wall time also
 * counts the time other processes held the CPU.
 */
function time(work: () => unknown): { wall: number; cpu: number } {
  work();
  const best = { wall: Infinity, cpu: Infinity };
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    const cpu = process.cpuUsage();
    work();
    const used = process.cpuUsage(cpu);
    best.wall = Math.min(best.wall, performance.now() - start);
    best.cpu = Math.min(best.cpu, (used.user + used.system) / 1000);
  }
  return best;
}

function report(name: string, input: PlanInput, expectedSteps: number): void {
  const steps = planSync(input).steps.length;
  expect(steps).toBe(expectedSteps);
  const plan = time(() => planSync(input));
  const ask = time(() => needIdentities(input.saved, input.left, input.right));
  console.log(
    `${name}: plan ${plan.cpu.toFixed(0)} ms CPU (${plan.wall.toFixed(0)} ms wall), ` +
      `needIdentities ${ask.cpu.toFixed(0)} ms CPU (${ask.wall.toFixed(0)} ms wall), ${steps} steps`,
  );
}

describe(`planning ${N} messages`, () => {
  const left = side('', N);
  const right = side('1700000000.M', N);
  const saved: SavedPair[] = left.map((message, i) => ({ left: message.id, right: right[i]!.id, flags: [...message.flags], identity: `mid:<${i}@x>:${1000 + i}` }));
  const identities = (messages: MessageMeta[]) => new Map(messages.map((message, i) => [message.id, `mid:<${i}@x>:${1000 + i}`]));

  it('steady state: nothing changed', () => {
    report('unchanged', { saved, left, right, policy: twoWayPolicy() }, 0);
  });

  it('steady state: 1% flag changes on each side, 1% deletions, 1% new', () => {
    const changedLeft = left.filter((_, i) => i % 100 !== 1).map((message) => (Number(message.id) % 100 === 0 ? { ...message, flags: ['\\Deleted'] } : message));
    const changedRight = [...right.map((message, i) => (i % 100 === 50 ? { ...message, flags: ['$Todo'] } : message)), ...side('new.', N / 100)];
    report('1% changes', { saved, left: changedLeft, right: changedRight, policy: twoWayPolicy() }, (4 * N) / 100);
  });

  it('a first mirror into an empty folder', () => {
    report('first mirror', { saved: [], left, right: [], policy: mirrorPolicy() }, N);
  });

  it('a first run against two populated sides, paired by identity', () => {
    report('first two-way run', { saved: [], left, right, identities: { left: identities(left), right: identities(right) }, policy: twoWayPolicy() }, N);
  });

  it('a UIDVALIDITY change on the left, re-paired by identity', () => {
    const renumbered = side('9', N);
    const forgotten = saved.map(({ left: _left, ...pair }) => pair);
    report('UIDVALIDITY change', { saved: forgotten, left: renumbered, right, identities: { left: identities(renumbered), right: new Map() }, policy: twoWayPolicy() }, N);
  });
});
