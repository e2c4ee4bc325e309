import type { SkippedItem } from './folder-report.js';
import type { Intent } from '../state/types.js';
import type { Side } from '../types.js';
import type { SyncPlan } from '../../core/sync/index.js';
import { identityLabel } from '../../core/message-label.js';

/**
 * A message the target said it stored but that cannot be found there again,
 * while something new that matches nothing sent is there: most likely the
 * server changed it beyond recognition (issue 10 item 11). Copying it again
 * would most likely add it again on every run, so its intent is marked
 * (Intent.unfoundAt) and it is held back, reported on every run, until its
 * source message is gone or found on the target by identity.
 */
export function unfoundItem(folder: string, id: string, label: string | undefined, target: string, detail: string): SkippedItem {
  return {
    folder,
    id,
    reason:
      `${label ? `${label}: ` : ''}copied to "${target}", but not found there again (${detail}); not copied again, so that it is not added on every run. ` +
      `Check "${target}": if the message is there, changed by the server, nothing is lost and this stays reported; ` +
      `if it is not, delete the account's state database (in --state-dir) and run again: every message is paired again by identity, and this one copied once more`,
  };
}

/**
 * Takes out of the plan the copies of messages marked unfound (by side and source
 * id) and reports them; the marks of messages no longer to be copied (gone
 * from the source, or paired by identity now) are returned to be closed.
 */
export function holdBackUnfound(plan: SyncPlan, marks: readonly Intent[], folders: Record<Side, string>): { plan: SyncPlan; held: SkippedItem[]; settled: Intent[] } {
  const byKey = new Map(marks.map((mark) => [`${mark.from}\0${mark.sourceId}`, mark]));
  const heldMarks = new Set<Intent>();
  const steps = plan.steps.filter((step) => {
    const mark = step.copy && byKey.get(`${step.copy.from}\0${step.copy.id}`);
    if (mark) heldMarks.add(mark);
    return !mark;
  });
  const held = [...heldMarks].map((mark) => reportMark(mark, folders));
  return { plan: { ...plan, steps }, held, settled: marks.filter((mark) => !heldMarks.has(mark)) };
}

/** A mark as reported on a later run. */
export function reportMark(mark: Intent, folders: Record<Side, string>): SkippedItem {
  const target = folders[mark.from === 'left' ? 'right' : 'left'];
  return unfoundItem(folders[mark.from], mark.sourceId, identityLabel(mark.identity), target, `no message there has its identity since ${new Date(mark.unfoundAt!).toISOString()}`);
}
