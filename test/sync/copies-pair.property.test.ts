/**
 * Property test: copies of one mail found again. The source holds messages
 * sharing identities (duplicates), each with its own INTERNALDATE and flags,
 * under ids in any order; the target holds copies of some of them (what a run
 * killed before its commit leaves: same identity, date and flags) and nothing
 * is saved. Whatever the ids, each copy pairs with the message it was made
 * from, the others are copied, and no flag changes. And the same duplicates
 * paired before, on a side whose ids were then forgotten (a new UIDVALIDITY)
 * and whose flags another client changed: each pair finds its copy again by
 * date, and every flag change reaches the other side.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MessageMeta } from '../../src/api/types.js';
import { migratePolicy, planSync, twoWayPolicy, type SavedPair } from '../../src/core/sync/index.js';

const FLAGS = ['\\Seen', '\\Flagged', '\\Answered', '\\Deleted'];
const HOUR = 3_600_000;

const sourceArb = fc.array(fc.record({ identity: fc.constantFrom('I0', 'I1', 'I2'), flags: fc.subarray(FLAGS) }), { minLength: 1, maxLength: 8 });

describe('planSync: copies of duplicates found again', () => {
  it.each([
    ['migrate', migratePolicy()],
    ['two-way', twoWayPolicy()],
  ])('%s: each copy pairs with its own source message, whatever the ids', (_, policy) => {
    fc.assert(
      fc.property(
        sourceArb,
        fc.func(fc.nat()),
        fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
        fc.func(fc.nat()),
        (source, uidOrder, copied, targetOrder) => {
          // Distinct dates, ids in an arbitrary order (a server assigns UIDs as messages arrive).
          const byUid = source.map((m, i) => ({ ...m, date: Date.UTC(2024, 0, 1) + i * HOUR, key: uidOrder(i) * 10 + i }));
          const left: MessageMeta[] = [...byUid].sort((a, b) => a.key - b.key).map((m, uid) => ({ id: String(uid + 1), flags: m.flags, size: 100, internalDate: m.date }));
          const identityOf = new Map(left.map((m) => [m.id, byUid.find((s) => s.date === m.internalDate)!.identity]));
          const copies = left.filter((_m, i) => copied[i]).map((m, i) => ({ ...m, id: `c${targetOrder(i) * 10 + i}` }));
          const plan = planSync({
            saved: [],
            left,
            right: copies,
            identities: { left: identityOf, right: new Map(copies.map((c) => [c.id, identityOf.get(left.find((m) => m.internalDate === c.internalDate)!.id)!])) },
            policy,
          });
          const dateOf = new Map([...left, ...copies].map((m) => [m.id, m.internalDate]));
          const pairs = plan.steps.map((s) => s.becomes!).filter((pair) => pair.left !== undefined && pair.right !== undefined);
          expect(pairs).toHaveLength(copies.length);
          for (const pair of pairs) expect(dateOf.get(pair.right!)).toBe(dateOf.get(pair.left!));
          expect(plan.steps.filter((s) => s.copy).map((s) => s.copy!.id).sort()).toEqual(left.filter((m) => !copies.some((c) => c.internalDate === m.internalDate)).map((m) => m.id).sort());
          expect(plan.steps.flatMap((s) => s.setFlags)).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('two-way: pairs whose side was renumbered find their copies again by date; flags changed there reach the other side', () => {
    const kept = ['\\Seen', '\\Flagged', '\\Answered'];
    fc.assert(
      fc.property(
        fc.array(fc.record({ identity: fc.constantFrom('I0', 'I1'), base: fc.subarray(kept), now: fc.subarray(kept) }), { minLength: 1, maxLength: 8 }),
        fc.func(fc.nat()),
        (messages, order) => {
          const dated = messages.map((m, i) => ({ ...m, date: Date.UTC(2024, 0, 1) + i * HOUR }));
          const left: MessageMeta[] = dated.map((m, i) => ({ id: String(i + 1), flags: m.base, size: 100, internalDate: m.date }));
          // The right side under its new UIDVALIDITY: new ids in any order, flags as another client left them.
          const right: MessageMeta[] = [...dated].sort((a, b) => order(a.date) - order(b.date) || a.date - b.date).map((m, i) => ({ id: `r${i}`, flags: m.now, size: 100, internalDate: m.date }));
          const saved: SavedPair[] = dated.map((m, i) => ({ left: String(i + 1), flags: m.base, identity: m.identity }));
          const identityOf = new Map(dated.map((m) => [m.date, m.identity]));
          const plan = planSync({
            saved,
            left,
            right,
            identities: { left: new Map(), right: new Map(right.map((m) => [m.id, identityOf.get(m.internalDate!)!])) },
            policy: twoWayPolicy(),
          });
          const dateOf = new Map([...left, ...right].map((m) => [m.id, m.internalDate]));
          const pairs = plan.steps.map((s) => s.becomes).filter((pair) => pair?.left !== undefined && pair.right !== undefined);
          for (const pair of pairs) expect(dateOf.get(pair!.right!)).toBe(dateOf.get(pair!.left!));
          expect(plan.steps.filter((s) => s.copy || s.delete.length)).toEqual([]);
          for (const [i, m] of dated.entries()) {
            const change = plan.steps.flatMap((s) => s.setFlags).find((c) => c.side === 'left' && c.id === String(i + 1));
            const after = new Set([...m.base.filter((f) => !change?.remove.includes(f)), ...(change?.add ?? [])]);
            expect([...after].sort()).toEqual([...m.now].sort());
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
