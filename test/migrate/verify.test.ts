import { describe, expect, it } from 'vitest';
import { compareByIdentity } from '../../src/apps/migrate/verify.js';

const map = (entries: [string, string][]) => new Map(entries);

describe('compareByIdentity', () => {
  it('finds each source message on the target whatever the ids', () => {
    const { verification, verified } = compareByIdentity(
      map([['1', 'mid:<a@x>:10'], ['2', 'mid:<b@x>:20'], ['3', 'sha256:cc']]),
      map([['7', 'sha256:cc'], ['8', 'mid:<b@x>:20'], ['9', 'mid:<a@x>:10']]),
    );
    expect(verification).toEqual({ selected: 3, present: 3, missing: 0, duplicates: { source: 0, target: 0 }, withoutMessageId: 1 });
    expect(verified).toEqual(['1', '2', '3']);
  });

  it('counts twins: two identical source messages need two copies on the target; only the one found is verified', () => {
    const { verification, verified } = compareByIdentity(
      map([['10', 'mid:<a@x>:10'], ['2', 'mid:<a@x>:10'], ['3', 'mid:<b@x>:5']]),
      map([['5', 'mid:<a@x>:10']]),
    );
    expect(verification).toMatchObject({ selected: 3, present: 1, missing: 2, duplicates: { source: 1, target: 0 } });
    // The lowest UID counts as the one found, numerically ('2' before '10').
    expect(verified).toEqual(['2']);
  });

  it('a size difference is another identity: not verified', () => {
    const { verification, verified } = compareByIdentity(map([['1', 'mid:<a@x>:10']]), map([['1', 'mid:<a@x>:11'], ['2', 'mid:<a@x>:11']]));
    expect(verification).toMatchObject({ present: 0, missing: 1, duplicates: { source: 0, target: 1 } });
    expect(verified).toEqual([]);
  });
});
