// CopyQueue: a folder's pending copies, held as ids and shared flag lists, given back as the planner made them.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CopyQueue } from '../../src/api/engines/copy-queue.js';
import type { MessageMeta, Side } from '../../src/api/types.js';
import { mirrorPolicy, planSync, twoWayPolicy, type PlanStep } from '../../src/core/sync/index.js';

const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '$Work'];

function messages(count: number, prefix = ''): MessageMeta[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${prefix}${i + 1}`, flags: FLAGS.filter((_, bit) => (i >> bit) & 1), size: 100 + i }));
}

/** Copy steps of every shape a plan has: plain, with an identity, with flags a side cannot hold, replacing a saved pair. */
const stepArb: fc.Arbitrary<PlanStep> = fc
  .record({
    id: fc.stringMatching(/^[0-9a-z.,=]{1,12}$/),
    flags: fc.uniqueArray(fc.constantFrom(...FLAGS)),
    identity: fc.option(fc.constantFrom('mid:<a@x>', 'sha256:00'), { nil: undefined }),
    notHeld: fc.option(fc.constant<string[]>(['$Work']), { nil: undefined }),
    was: fc.option(fc.constant({ left: '7', flags: [] as string[] }), { nil: undefined }),
  })
  .map(({ id, flags, identity, notHeld, was }) => {
    const becomes = { flags: [...flags], left: id, ...(identity ? { identity } : {}), ...(notHeld ? { notHeld: { right: notHeld } } : {}) };
    const copy = { from: 'left' as Side, id, flags: notHeld ? flags.filter((flag) => !notHeld.includes(flag)) : [...flags], ...(identity ? { identity } : {}) };
    return { setFlags: [], delete: [], becomes, copy, ...(was ? { was } : {}) };
  });

describe('CopyQueue', () => {
  it("holds an initial mirror's copies as ids and flag lists, and gives back the plan's very steps, in order", () => {
    const left = messages(10_000);
    const plan = planSync({ saved: [], left, right: [], policy: mirrorPolicy() });
    const queue = new CopyQueue('left', plan.steps);
    expect(queue.length).toBe(10_000);
    expect(queue.wholeSteps).toBe(0);
    expect(queue.idAt(9_999)).toBe(plan.steps[9_999]!.copy!.id);
    expect([...queue.take(0, 4_000), ...queue.take(0, 6_000)]).toEqual(plan.steps);
    expect(queue.length).toBe(0);
  });

  it('holds a copy the plan knows more of (an identity, a replaced pair) whole', () => {
    const left = messages(20);
    const right = messages(10, 'r');
    const identities = { left: new Map(left.map((message) => [message.id, `mid:<${message.id}@l>`])), right: new Map(right.map((message) => [message.id, `mid:<${message.id}@r>`])) };
    const plan = planSync({ saved: [], left, right, identities, policy: twoWayPolicy() });
    const queue = new CopyQueue('left', plan.steps.filter((step) => step.copy?.from === 'left'));
    expect(queue.length).toBe(20);
    expect(queue.wholeSteps).toBe(20);
    expect(queue.take(0, 20)).toEqual(plan.steps.filter((step) => step.copy?.from === 'left'));
  });

  it('gives back any step as it was, through takes from both ends, steps put back, and steps dropped', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), fc.nat(40), fc.nat(40), (steps, front, back) => {
        const queue = new CopyQueue('left', steps);
        const taken = queue.take(0, Math.min(front, queue.length));
        expect(taken).toEqual(steps.slice(0, taken.length));
        queue.unshift(taken.slice(1));
        const end = queue.take(Math.max(0, queue.length - back), Math.min(back, queue.length));
        const dropped = queue.keepOnly((id) => !id.startsWith('a'));
        const rest = steps.slice(taken.length > 0 ? 1 : 0, steps.length - end.length);
        expect(end).toEqual(steps.slice(steps.length - end.length));
        expect(dropped).toEqual(rest.filter((step) => step.copy!.id.startsWith('a')).map((step) => step.copy!.id));
        expect(queue.take(0, queue.length)).toEqual(rest.filter((step) => !step.copy!.id.startsWith('a')));
      }),
    );
  });

  it('gives each step its own flag lists: changing one changes no other', () => {
    const queue = new CopyQueue('left', planSync({ saved: [], left: messages(4).map((message) => ({ ...message, flags: ['\\Seen'] })), right: [], policy: mirrorPolicy() }).steps);
    const [a, b] = queue.take(0, 2);
    (a!.copy!.flags as string[]).push('\\Flagged');
    (a!.becomes!.flags as string[]).length = 0;
    expect(b!.copy!.flags).toEqual(['\\Seen']);
    expect(b!.becomes!.flags).toEqual(['\\Seen']);
    expect(queue.take(0, 2).map((step) => step.copy!.flags)).toEqual([['\\Seen'], ['\\Seen']]);
  });
});
