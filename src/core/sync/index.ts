/** The three-way sync planner (DESIGN §4): pure functions, no I/O. */
export { describePlan, summary, type PlanSummary } from './describe.js';
export { DELETED, flagsByUse, mergeFlags } from './flags.js';
export { heldAtLastSync, otherSide } from './pairs.js';
export { needIdentities } from './need-identities.js';
export { planSync } from './plan.js';
export type { CopyAction, FlagChange, Identities, MessageRef, PlanInput, PlanStep, SavedPair, SyncPlan } from './plan-types.js';
export {
  migratePolicy,
  mirrorPolicy,
  parseSyncPolicy,
  SYNC_OPERATIONS,
  towards,
  twoWayPolicy,
  writesTo,
  type SyncOperation,
  type SyncPolicy,
} from './policy.js';
