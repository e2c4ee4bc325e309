export type { Checkpoints, FolderPairRecord, Intent, MessagePair, NewIntent, PairKey, StateCommit, StateStore } from './types.js';
export { MemoryStateStore } from './memory.js';
export { SqliteStateStore, type SqliteStateStoreOptions } from './sqlite.js';
export { stateDatabasePath } from './database-path.js';
export { StateRepository, type StateRepositoryOptions } from './state-repository.js';
export { stateOwner } from './state-owner.js';
