/** Counting and printing a plan: the engine's summary and `--dry-run`. */
import type { Side } from '../../api/types.js';
import { otherSide, SIDES } from './pairs.js';
import type { PlanStep, SavedPair, SyncPlan } from './plan-types.js';

export interface PlanSummary {
  /** Messages copied to each side. */
  copy: Record<Side, number>;
  /** Messages whose flags change on each side. */
  setFlags: Record<Side, number>;
  /** Messages deleted on each side. */
  delete: Record<Side, number>;
  /** Pairs made by identity, without copying (first run, lost state, UIDVALIDITY change, a message stored again). */
  paired: number;
  /** Saved pairs removed without touching any message. */
  forgotten: number;
}

export function summary(plan: SyncPlan): PlanSummary {
  const result: PlanSummary = { copy: { left: 0, right: 0 }, setFlags: { left: 0, right: 0 }, delete: { left: 0, right: 0 }, paired: 0, forgotten: 0 };
  for (const step of plan.steps) {
    if (step.copy) result.copy[otherSide(step.copy.from)]++;
    for (const change of step.setFlags) result.setFlags[change.side]++;
    for (const ref of step.delete) result.delete[ref.side]++;
    if (pairs(step)) result.paired++;
    if (step.was && !step.becomes && step.delete.length === 0) result.forgotten++;
  }
  return result;
}

/**
 * One human line per action, e.g. `copy left→right 12 (\Seen)`,
 * `flags right 1700000000.M1P2.host: +\Seen -\Flagged`, `delete left 12`,
 * `pair left 12 = right 1700000000.M1P2.host`, and a line for each change of
 * the saved state that touches no message.
 */
export function describePlan(plan: SyncPlan): string[] {
  return plan.steps.flatMap(describeStep);
}

function describeStep(step: PlanStep): string[] {
  const lines: string[] = [];
  const { copy, was, becomes } = step;
  if (copy) lines.push(`copy ${copy.from}→${otherSide(copy.from)} ${copy.id}${copy.flags.length > 0 ? ` (${copy.flags.join(' ')})` : ''}`);
  if (pairs(step)) lines.push(`pair left ${becomes!.left} = right ${becomes!.right}`);
  for (const change of step.setFlags) {
    const delta = [...change.add.map((flag) => `+${flag}`), ...change.remove.map((flag) => `-${flag}`)];
    lines.push(`flags ${change.side} ${change.id}: ${delta.join(' ')}`);
  }
  for (const ref of step.delete) lines.push(`delete ${ref.side} ${ref.id}`);
  if (lines.length > 0 || !was) return lines;
  if (!becomes) return [`forget ${pairName(was)}`];
  return [`save ${pairName(becomes)} with flags ${becomes.flags.join(' ') || '(none)'}`];
}

/** The step makes a pair without copying: by identity, or by finding a message again. */
function pairs(step: PlanStep): boolean {
  const { becomes, was } = step;
  if (!becomes || step.copy || becomes.left === undefined || becomes.right === undefined) return false;
  return !was || was.left !== becomes.left || was.right !== becomes.right;
}

function pairName(pair: SavedPair): string {
  return SIDES.map((side) => `${side} ${pair[side] ?? '?'}`).join(' / ');
}
