/**
 * Saved scan checkpoints carry the policy they were taken under. A
 * checkpoint says "nothing to do since the last run" only for the policy
 * that run planned with: after a run with `--sync pull`, a run with
 * `--sync full` must still push what the first one left, so a checkpoint
 * saved under another policy is not used to skip a folder.
 */
import type { SyncPolicy } from '../../core/sync/policy.js';

/** What to save: the repository's checkpoint, under `policy`. */
export function checkpointToSave(policy: SyncPolicy, checkpoint: string): string {
  return `${policyKey(policy)} ${checkpoint}`;
}

/** The repository's checkpoint saved under `policy`; undefined when there is none, or it was saved under another policy. */
export function checkpointUnder(policy: SyncPolicy, saved: string | undefined): string | undefined {
  const key = `${policyKey(policy)} `;
  return saved?.startsWith(key) ? saved.slice(key.length) : undefined;
}

/** The repository's checkpoint, whatever the policy (whether a side changed since the last run, not what is left to do). */
export function checkpointOf(saved: string | undefined): string | undefined {
  const space = saved?.indexOf(' ') ?? -1;
  return space < 0 ? undefined : saved!.slice(space + 1);
}

/** The policy in a few characters: `toRight>toLeft<expunge`, e.g. `flags,gone,new>flags,gone,new<00`. */
function policyKey(policy: SyncPolicy): string {
  return `${[...policy.toRight].sort().join(',')}>${[...policy.toLeft].sort().join(',')}<${Number(policy.expunge.left)}${Number(policy.expunge.right)}`;
}
