/**
 * Flags as sets, merged as +/- deltas against the flags saved at the last
 * sync (DESIGN §4, after Dovecot's replication design): never "last writer
 * wins". Keywords are flags like any other here.
 */

export const DELETED = '\\Deleted';

/**
 * `(base - removed by any side) + added by any side`, sorted.
 *
 * A flag added on one side cannot have been removed on another (added means
 * absent from `base`, removed means present), so the result does not depend
 * on the order of the sides. With no side it is `base`; with one it is that
 * side's flags.
 */
export function mergeFlags(base: readonly string[], sides: readonly (readonly string[])[]): string[] {
  // Sides that agree (the common case) merge to what they hold.
  const first = sides[0] ?? base;
  if (sides.every((flags) => sameFlags(flags, first))) return sorted(first);
  const was = new Set(base);
  const result = new Set(base);
  for (const flags of sides) {
    const now = new Set(flags);
    for (const flag of base) if (!now.has(flag)) result.delete(flag);
    for (const flag of flags) if (!was.has(flag)) result.add(flag);
  }
  return [...result].sort();
}

/** What to add to and remove from `from` to get `to`. */
export function flagDelta(from: readonly string[], to: readonly string[]): { add: string[]; remove: string[] } {
  return { add: sorted(to.filter((flag) => !from.includes(flag))), remove: sorted(from.filter((flag) => !to.includes(flag))) };
}

/** Equal as sets. Flag lists are a handful of entries: a linear scan beats building sets. */
export function sameFlags(a: readonly string[], b: readonly string[]): boolean {
  // Loops, not every(): called for each pair of a folder, where a closure per call shows in the collector's time.
  for (let i = 0; i < a.length; i++) if (!b.includes(a[i]!)) return false;
  for (let i = 0; i < b.length; i++) if (!a.includes(b[i]!)) return false;
  return true;
}

/**
 * Every flag of the lists, the one most lists carry first, ties in code-unit
 * order: the order in which a store short of room (a Maildir folder's 26
 * keyword letters) is asked to make room, so that the most used flags win.
 */
export function flagsByUse(lists: Iterable<readonly string[]>): string[] {
  const counts = new Map<string, number>();
  for (const flags of lists) {
    for (let i = 0; i < flags.length; i++) {
      const flag = flags[i]!;
      // A flag listed twice in one list counts once (a list is a handful of flags: no Set per list).
      if (flags.indexOf(flag) === i) counts.set(flag, (counts.get(flag) ?? 0) + 1);
    }
  }
  return [...counts.keys()].sort((a, b) => counts.get(b)! - counts.get(a)! || (a < b ? -1 : a > b ? 1 : 0));
}

/** A sorted copy without duplicates. */
export function sorted(flags: readonly string[]): string[] {
  return [...new Set(flags)].sort();
}
