import { MemoryStateStore } from './memory.js';
import { SqliteStateStore } from './sqlite.js';
import type { FolderPairRecord, Intent, MessagePair, StateCommit, StateStore } from './types.js';
import type { Side } from '../types.js';

export interface StateRepositoryOptions {
  /** 'sqlite' (default): one database per account; 'memory': forgotten at exit (tests, dry runs). */
  backend?: 'sqlite' | 'memory';
  /** Names the database file. */
  account: string;
  /** The database file; default `$XDG_STATE_HOME/imapfw/<account>.sqlite`. */
  path?: string;
  stateDir?: string;
  /** Move an unreadable database (or one of another owner) aside and start empty (`--rebuild-state`). */
  rebuild?: boolean;
  /** What the state is of: a database of another is refused (see SqliteStateStoreOptions.owner). */
  owner?: string;
}

/**
 * The state store as an actor: what apps declare in their topology. It
 * opens its backend in the worker it runs in and releases the account lock
 * when the worker stops.
 */
export class StateRepository implements StateStore {
  private readonly store: StateStore;

  constructor(options: StateRepositoryOptions) {
    this.store = options.backend === 'memory' ? new MemoryStateStore() : SqliteStateStore.open(options);
  }

  folderPairs(): Promise<FolderPairRecord[]> {
    return this.store.folderPairs();
  }

  ensureFolderPair(left: string, right: string): Promise<FolderPairRecord> {
    return this.store.ensureFolderPair(left, right);
  }

  removeFolderPair(id: number): Promise<void> {
    return this.store.removeFolderPair(id);
  }

  pairs(folderPairId: number): Promise<MessagePair[]> {
    return this.store.pairs(folderPairId);
  }

  intents(folderPairId: number): Promise<Intent[]> {
    return this.store.intents(folderPairId);
  }

  commit(folderPairId: number, change: StateCommit): Promise<{ intentIds: number[] }> {
    return this.store.commit(folderPairId, change);
  }

  forgetSide(folderPairId: number, side: Side): Promise<void> {
    return this.store.forgetSide(folderPairId, side);
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /** Called when the worker stops: release the account lock. */
  stop(): Promise<void> {
    return this.store.close();
  }
}
