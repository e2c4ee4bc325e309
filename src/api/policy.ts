// The sync policies, on their own: a command line parses them without loading the whole API (start-up time).
export { parseSyncPolicy, mirrorPolicy, twoWayPolicy, migratePolicy, type SyncPolicy } from '../core/sync/policy.js';
