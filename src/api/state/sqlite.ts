import type Database from 'better-sqlite3';
import { chmodSync, closeSync, openSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { upgradeSavedIdentity } from '../../core/identity.js';
import { AccountLock } from '../../core/state/account-lock.js';
import { openSqlite, SqliteError } from '../../core/state/open-sqlite.js';
import { WalSync } from '../../core/state/wal-sync.js';
import { ConfigError, NoSpaceError, StateCorruptError } from '../errors.js';
import type { Side } from '../types.js';
import type { FolderPairRecord, Intent, MessagePair, StateCommit, StateStore } from './types.js';
import { stateDatabasePath } from './database-path.js';
import { checkCommit, checkPairConflicts, notHeldToStore, unknownFolderPair } from './validate.js';
import { makeDirsSync } from '../../core/make-dirs.js';
import { NOT_WRITABLE_CODES } from '../../core/not-writable.js';

const SCHEMA_VERSION = 4;

/**
 * How a database of an older version is brought to the next one: version
 * 1 -> 2 adds the pairs' `not_held`; 2 -> 3 recomputes saved identities (see
 * upgradeIdentities); 3 -> 4 adds the intents' `unfound_at`.
 */
const MIGRATIONS: Readonly<Record<number, (db: Database.Database) => void>> = {
  1: (db) => db.exec('ALTER TABLE pairs ADD COLUMN not_held TEXT;'),
  2: upgradeIdentities,
  3: (db) => db.exec('ALTER TABLE intents ADD COLUMN unfound_at INTEGER;'),
};

/** Pair ids are unique per side within a folder pair; NULL (a forgotten side) may repeat. */
const SCHEMA = `
CREATE TABLE folder_pairs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  left_name TEXT NOT NULL,
  right_name TEXT NOT NULL,
  left_uid_validity TEXT,
  right_uid_validity TEXT,
  left_checkpoint TEXT,
  right_checkpoint TEXT,
  UNIQUE (left_name, right_name)
);
CREATE TABLE pairs (
  folder_pair_id INTEGER NOT NULL REFERENCES folder_pairs (id) ON DELETE CASCADE,
  left_id TEXT,
  right_id TEXT,
  flags TEXT NOT NULL,
  identity TEXT,
  not_held TEXT,
  CHECK (left_id IS NOT NULL OR right_id IS NOT NULL)
);
CREATE UNIQUE INDEX pairs_by_left ON pairs (folder_pair_id, left_id);
CREATE UNIQUE INDEX pairs_by_right ON pairs (folder_pair_id, right_id);
CREATE TABLE intents (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  folder_pair_id INTEGER NOT NULL REFERENCES folder_pairs (id) ON DELETE CASCADE,
  from_side TEXT NOT NULL CHECK (from_side IN ('left', 'right')),
  source_id TEXT NOT NULL,
  identity TEXT,
  created_at INTEGER NOT NULL,
  unfound_at INTEGER
);
CREATE INDEX intents_by_folder_pair ON intents (folder_pair_id);
PRAGMA user_version = ${SCHEMA_VERSION};
`;

const FOLDER_PAIR_COLUMNS = 'id, left_name, right_name, left_uid_validity, right_uid_validity, left_checkpoint, right_checkpoint';

type FolderPairRow = [number, string, string, string | null, string | null, string | null, string | null];
type PairRow = [string | null, string | null, string, string | null, string | null];
type IntentRow = [number, Side, string, string | null, number, number | null];

export interface SqliteStateStoreOptions {
  /** The account whose state this is; names the database file. */
  account: string;
  /** The database file; default `<stateDir>/<account>.sqlite`. */
  path?: string;
  /** Default `$XDG_STATE_HOME/imapfw`, `~/.local/state/imapfw` without it. */
  stateDir?: string;
  /**
   * When the database is unreadable, move it aside (`<file>.corrupt-<time>`)
   * and start empty instead of throwing StateCorruptError; the engine then
   * re-pairs messages by identity. A readable database is kept as it is.
   */
  rebuild?: boolean;
  /**
   * What the state is of (`mirror me@host -> /home/me/Mail`): saved at the
   * first open, and a database saved for another is refused (ConfigError)
   * or, with `rebuild`, moved aside (`<file>.of-another-<time>`). Two accounts given one
   * name never share a state: the pairs of one would read as deletions in
   * the other. A database saved before this was recorded takes the first
   * owner that opens it.
   */
  owner?: string;
}

/**
 * The state store of one account in an SQLite database (better-sqlite3),
 * held under an account lock (`<file>.lock`) while open.
 *
 * Durability: a write that returned is on disk. An undone commit after a
 * power loss would not lose messages (the next run re-pairs them by
 * identity), but it would resurrect a message deleted on one side after its
 * pair's commit, and lean on identity matching for every undone pair. The
 * database is in WAL mode with `synchronous = NORMAL`, and each write awaits
 * an fsync of the WAL on Node's thread pool (WalSync) before it returns: as
 * durable as `synchronous = FULL`, whose fsync inside the transaction stops
 * the thread, and a one-shot run's actors all share the copy's thread (an
 * initial mirror of 10,000 messages spent 0.8 s there).
 */
export class SqliteStateStore implements StateStore {
  private readonly applyCommit: (folderPairId: number, change: StateCommit) => number[];
  private readonly applyForget: (folderPairId: number, side: Side) => void;
  private readonly wal: WalSync;

  private constructor(
    private readonly db: Database.Database,
    private readonly sql: Statements,
    private readonly lock: AccountLock,
    /** The database file. */
    readonly path: string,
    /** Where the unreadable database was moved to, when `rebuild` had to. */
    readonly movedAside: string | undefined,
  ) {
    this.wal = new WalSync(`${path}-wal`);
    this.applyCommit = db.transaction((folderPairId: number, change: StateCommit) => this.apply(folderPairId, change));
    this.applyForget = db.transaction((folderPairId: number, side: Side) => {
      this.checkFolderPair(folderPairId);
      for (const statement of sql.forget[side]) statement.run(folderPairId);
    });
  }

  /** Opens (creating it if needed) the account's database; throws StateLockedError if another run holds it, StateCorruptError if unreadable. */
  static open(options: SqliteStateStoreOptions): SqliteStateStore {
    const path = options.path ?? stateDatabasePath(options.account, options.stateDir);
    try {
      makeDirsSync(dirname(path), 0o700);
    } catch (error) {
      throw new ConfigError(`the state directory ${dirname(path)} cannot be made (${(error as Error).message}); give --state-dir a directory this user can write`);
    }
    let lock: AccountLock;
    try {
      lock = AccountLock.acquire(`${path}.lock`);
    } catch (error) {
      throw openError(path, error);
    }
    try {
      try {
        const { db, sql } = connect(path);
        const other = options.owner === undefined ? undefined : claim(db, options.owner);
        if (other === undefined) return new SqliteStateStore(db, sql, lock, path, undefined);
        db.close();
        if (!options.rebuild) {
          throw new ConfigError(
            `the state ${path} is that of ${other}, not of ${options.owner}: give this account a name of its own (its "name" in --config or --batch) or another --state-dir; if only the Maildir or a server's address changed, run once with --rebuild-state (its messages are then paired by identity)`,
          );
        }
        const aside = moveAside(path, 'of-another');
        const fresh = connect(path);
        claim(fresh.db, options.owner!);
        return new SqliteStateStore(fresh.db, fresh.sql, lock, path, aside);
      } catch (error) {
        if (!(error instanceof StateCorruptError) || !options.rebuild) throw error;
        const aside = moveAside(path, 'corrupt');
        const { db, sql } = connect(path);
        if (options.owner !== undefined) claim(db, options.owner);
        return new SqliteStateStore(db, sql, lock, path, aside);
      }
    } catch (error) {
      lock.release();
      throw openError(path, error);
    }
  }

  async folderPairs(): Promise<FolderPairRecord[]> {
    return this.guard(() => (this.sql.folderPairs.all() as FolderPairRow[]).map(folderPairFromRow));
  }

  /**
   * A pair that exists is read without a write: an INSERT OR IGNORE that
   * ignores still writes a WAL frame, and its fsync held up every folder's
   * scan of every run. A pair found already written by a call whose fsync is
   * still under way needs none either: whatever is written under its id
   * later syncs the WAL, frames before it included.
   */
  async ensureFolderPair(left: string, right: string): Promise<FolderPairRecord> {
    const found = this.guard(() => this.sql.folderPairByNames.get(left, right) as FolderPairRow | undefined);
    if (found) return folderPairFromRow(found);
    const record = this.guard(() => {
      this.sql.insertFolderPair.run(left, right);
      return folderPairFromRow(this.sql.folderPairByNames.get(left, right) as FolderPairRow);
    });
    await this.synced();
    return record;
  }

  async removeFolderPair(id: number): Promise<void> {
    this.guard(() => this.sql.deleteFolderPair.run(id));
    await this.synced();
  }

  async pairs(folderPairId: number): Promise<MessagePair[]> {
    return this.guard(() => {
      this.checkFolderPair(folderPairId);
      // One flag list per distinct set of flags, shared by the pairs that hold it: a big folder's pairs are read whole.
      const flagLists = new Map<string, string[]>();
      return (this.sql.pairs.all(folderPairId) as PairRow[]).map((row) => pairFromRow(row, flagLists));
    });
  }

  async intents(folderPairId: number): Promise<Intent[]> {
    return this.guard(() => {
      this.checkFolderPair(folderPairId);
      return (this.sql.intents.all(folderPairId) as IntentRow[]).map(([id, from, sourceId, identity, createdAt, unfoundAt]) => ({
        id,
        folderPairId,
        from,
        sourceId,
        ...(identity === null ? {} : { identity }),
        createdAt,
        ...(unfoundAt === null ? {} : { unfoundAt }),
      }));
    });
  }

  async commit(folderPairId: number, change: StateCommit): Promise<{ intentIds: number[] }> {
    const intentIds = this.guard(() => this.applyCommit(folderPairId, change));
    await this.synced();
    return { intentIds };
  }

  async forgetSide(folderPairId: number, side: Side): Promise<void> {
    this.guard(() => this.applyForget(folderPairId, side));
    await this.synced();
  }

  async close(): Promise<void> {
    await this.wal.close();
    this.db.close();
    this.lock.release();
  }

  /** The body of `commit`, run inside a transaction. */
  private apply(folderPairId: number, change: StateCommit): number[] {
    this.checkFolderPair(folderPairId);
    checkCommit(change);
    checkPairConflicts(change, (side, id) => {
      const row = (side === 'left' ? this.sql.pairByLeft : this.sql.pairByRight).get(folderPairId, id) as PairRow | undefined;
      return row && pairFromRow(row);
    });
    for (const { left, right } of change.removePairs ?? []) {
      if (left !== undefined) this.sql.removePairByLeft.run(folderPairId, left);
      if (right !== undefined) this.sql.removePairByRight.run(folderPairId, right);
    }
    for (const pair of change.upsertPairs ?? []) {
      // OR REPLACE deletes the rows holding either id: checkPairConflicts made sure they are this pair's own, or half pairs.
      const notHeld = notHeldToStore(pair);
      this.sql.upsertPair.run(folderPairId, pair.left ?? null, pair.right ?? null, JSON.stringify(pair.flags), pair.identity ?? null, notHeld ? JSON.stringify(notHeld) : null);
    }
    for (const id of change.closeIntents ?? []) this.sql.closeIntent.run(id, folderPairId);
    const createdAt = Date.now();
    const intentIds = (change.openIntents ?? []).map(
      (intent) => Number(this.sql.openIntent.run(folderPairId, intent.from, intent.sourceId, intent.identity ?? null, createdAt).lastInsertRowid),
    );
    for (const id of change.markUnfound ?? []) this.sql.markUnfound.run(createdAt, id, folderPairId);
    const checkpoints = change.checkpoints;
    if (checkpoints) {
      this.sql.setCheckpoints.run(
        checkpoints.leftUidValidity ?? null,
        checkpoints.rightUidValidity ?? null,
        checkpoints.leftCheckpoint ?? null,
        checkpoints.rightCheckpoint ?? null,
        folderPairId,
      );
    }
    return intentIds;
  }

  private checkFolderPair(id: number): void {
    if (this.sql.folderPairById.get(id) === undefined) throw unknownFolderPair(id);
  }

  /** Runs a database operation, reporting damage found on the way as StateCorruptError, a full disk as NoSpaceError. */
  private guard<T>(operation: () => T): T {
    try {
      return operation();
    } catch (error) {
      throw stateError(this.path, error);
    }
  }

  /** Returns once the last write is on disk (see WalSync). */
  private async synced(): Promise<void> {
    try {
      await this.wal.sync();
    } catch (error) {
      throw stateError(this.path, error);
    }
  }
}

/**
 * Records `owner` as what the database is of, unless one is recorded;
 * returns the recorded one when it is another. The table is made where
 * missing, without a schema version: an older imapfw reads the database as
 * it did.
 */
function claim(db: Database.Database, owner: string): string | undefined {
  db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
  const recorded = db.prepare("SELECT value FROM meta WHERE key = 'owner'").pluck().get() as string | undefined;
  if (recorded === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('owner', ?)").run(owner);
  return recorded === undefined || recorded === owner ? undefined : recorded;
}

/** Opens the file (created 0600), checks or creates the schema, prepares the statements. */
function connect(path: string): { db: Database.Database; sql: Statements } {
  // SQLite creates -wal and -shm files with the mode of the database file.
  closeSync(openSync(path, 'a', 0o600));
  chmodSync(path, 0o600);
  const db = openSqlite(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL'); // and WalSync after each write: see SqliteStateStore
    db.pragma('foreign_keys = ON');
    // SQLite's own default page cache (2 MB), not the 16 MB better-sqlite3 compiles in: a copy reads and writes
    // one folder's rows at a time, and at 100,000 messages the larger cache held 13 MB more at the run's peak.
    db.pragma('cache_size = -2000');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version === 0) {
      if (db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get() !== 0) throw schemaMismatch(path, 'it has tables but no schema version: not an imapfw state database');
      db.transaction(() => db.exec(SCHEMA))();
    } else if (version < SCHEMA_VERSION && MIGRATIONS[version] !== undefined) {
      db.transaction(() => {
        for (let from = version; from < SCHEMA_VERSION; from++) MIGRATIONS[from]!(db);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      })();
    } else if (version !== SCHEMA_VERSION) {
      throw schemaMismatch(path, `its schema version is ${version}; this imapfw reads version ${SCHEMA_VERSION}`);
    }
    try {
      return { db, sql: prepare(db) };
    } catch (error) {
      throw new StateCorruptError(path, { cause: error }); // a table or column is missing
    }
  } catch (error) {
    db.close();
    throw stateError(path, error);
  }
}

/**
 * Versions 1 and 2 saved identities as 'mid:<id>:<size>' and hashed whole
 * messages: the Message-ID ones lose their size, the hashes are dropped (the
 * engine identifies those messages again when it needs to).
 */
function upgradeIdentities(db: Database.Database): void {
  for (const table of ['pairs', 'intents']) {
    const update = db.prepare(`UPDATE ${table} SET identity = ? WHERE rowid = ?`);
    for (const [rowid, identity] of db.prepare(`SELECT rowid, identity FROM ${table} WHERE identity IS NOT NULL`).raw().all() as [number, string][]) {
      update.run(upgradeSavedIdentity(identity) ?? null, rowid);
    }
  }
}

function schemaMismatch(path: string, why: string): StateCorruptError {
  return new StateCorruptError(path, { cause: new Error(`state database ${path}: ${why}`) });
}

type Statements = ReturnType<typeof prepare>;

function prepare(db: Database.Database) {
  const raw = (sql: string) => db.prepare(sql).raw();
  const forget = (side: Side) => {
    const other = side === 'left' ? 'right' : 'left';
    return [
      db.prepare(`DELETE FROM pairs WHERE folder_pair_id = ? AND ${other}_id IS NULL`),
      db.prepare(`UPDATE pairs SET ${side}_id = NULL WHERE folder_pair_id = ?`),
      db.prepare(`UPDATE folder_pairs SET ${side}_uid_validity = NULL, ${side}_checkpoint = NULL WHERE id = ?`),
    ];
  };
  return {
    folderPairs: raw(`SELECT ${FOLDER_PAIR_COLUMNS} FROM folder_pairs ORDER BY id`),
    folderPairByNames: raw(`SELECT ${FOLDER_PAIR_COLUMNS} FROM folder_pairs WHERE left_name = ? AND right_name = ?`),
    folderPairById: db.prepare('SELECT 1 FROM folder_pairs WHERE id = ?'),
    insertFolderPair: db.prepare('INSERT OR IGNORE INTO folder_pairs (left_name, right_name) VALUES (?, ?)'),
    deleteFolderPair: db.prepare('DELETE FROM folder_pairs WHERE id = ?'),
    pairs: raw('SELECT left_id, right_id, flags, identity, not_held FROM pairs WHERE folder_pair_id = ?'),
    pairByLeft: raw('SELECT left_id, right_id, flags, identity, not_held FROM pairs WHERE folder_pair_id = ? AND left_id = ?'),
    pairByRight: raw('SELECT left_id, right_id, flags, identity, not_held FROM pairs WHERE folder_pair_id = ? AND right_id = ?'),
    removePairByLeft: db.prepare('DELETE FROM pairs WHERE folder_pair_id = ? AND left_id = ?'),
    removePairByRight: db.prepare('DELETE FROM pairs WHERE folder_pair_id = ? AND right_id = ?'),
    upsertPair: db.prepare('INSERT OR REPLACE INTO pairs (folder_pair_id, left_id, right_id, flags, identity, not_held) VALUES (?, ?, ?, ?, ?, ?)'),
    intents: raw('SELECT id, from_side, source_id, identity, created_at, unfound_at FROM intents WHERE folder_pair_id = ? ORDER BY id'),
    openIntent: db.prepare('INSERT INTO intents (folder_pair_id, from_side, source_id, identity, created_at) VALUES (?, ?, ?, ?, ?)'),
    closeIntent: db.prepare('DELETE FROM intents WHERE id = ? AND folder_pair_id = ?'),
    markUnfound: db.prepare('UPDATE intents SET unfound_at = coalesce(unfound_at, ?) WHERE id = ? AND folder_pair_id = ?'),
    setCheckpoints: db.prepare(`UPDATE folder_pairs SET
      left_uid_validity = coalesce(?, left_uid_validity), right_uid_validity = coalesce(?, right_uid_validity),
      left_checkpoint = coalesce(?, left_checkpoint), right_checkpoint = coalesce(?, right_checkpoint)
      WHERE id = ?`),
    forget: { left: forget('left'), right: forget('right') },
  };
}

/** `flagLists`: lists parsed already, by their text (parsed once, shared). */
function pairFromRow([left, right, flags, identity, notHeld]: PairRow, flagLists?: Map<string, string[]>): MessagePair {
  let list = flagLists?.get(flags);
  if (!list) {
    list = JSON.parse(flags) as string[];
    flagLists?.set(flags, list);
  }
  const pair: MessagePair = { flags: list };
  if (left !== null) pair.left = left;
  if (right !== null) pair.right = right;
  if (identity !== null) pair.identity = identity;
  if (notHeld !== null) pair.notHeld = JSON.parse(notHeld) as MessagePair['notHeld'];
  return pair;
}

function folderPairFromRow([id, left, right, leftUidValidity, rightUidValidity, leftCheckpoint, rightCheckpoint]: FolderPairRow): FolderPairRecord {
  const record: FolderPairRecord = { id, left, right };
  if (leftUidValidity !== null) record.leftUidValidity = leftUidValidity;
  if (rightUidValidity !== null) record.rightUidValidity = rightUidValidity;
  if (leftCheckpoint !== null) record.leftCheckpoint = leftCheckpoint;
  if (rightCheckpoint !== null) record.rightCheckpoint = rightCheckpoint;
  return record;
}

/** Moves the database and its WAL files to `<file>.<why>-<time>[-wal|-shm]`; returns the new name. */
function moveAside(path: string, why: 'corrupt' | 'of-another'): string {
  const aside = `${path}.${why}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      renameSync(path + suffix, aside + suffix);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  return aside;
}

/**
 * What an error opening the database at `path` tells a user: a directory or
 * file this user cannot write (a read-only mount, another user's files) is a
 * setting to fix, said in one line; anything else as stateError says.
 */
function openError(path: string, error: unknown): unknown {
  const code = error instanceof SqliteError ? error.code : (error as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && (NOT_WRITABLE_CODES.has(code) || code.startsWith('SQLITE_READONLY'))) {
    const why = error instanceof SqliteError ? `${error.code}: ${error.message}` : (error as Error).message;
    return new ConfigError(`the state directory ${dirname(path)} cannot be written (${why}); give --state-dir a directory this user can write`);
  }
  return stateError(path, error);
}

/** What an error of the database at `path` tells a user: damage (StateCorruptError), a full disk (NoSpaceError), or itself. */
function stateError(path: string, error: unknown): unknown {
  if (error instanceof StateCorruptError || error instanceof NoSpaceError) return error;
  if (isCorruption(error)) return new StateCorruptError(path, { cause: error });
  if (isNoSpace(error)) {
    const why = error instanceof SqliteError ? `${error.code}: ${error.message}` : (error as Error).message;
    return new NoSpaceError(
      `the state database ${path} cannot grow (${why}): make room on its file system (or raise the quota), then run again; what was copied is kept and paired on the next run`,
      { cause: error },
    );
  }
  return error;
}

/** SQLite's full database or disk (SQLITE_FULL: ENOSPC on a write), or the file system's own refusal (a lock file, the WAL's fsync). */
function isNoSpace(error: unknown): boolean {
  if (error instanceof SqliteError) return error.code === 'SQLITE_FULL';
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

function isCorruption(error: unknown): boolean {
  return error instanceof SqliteError && (error.code === 'SQLITE_NOTADB' || error.code.startsWith('SQLITE_CORRUPT'));
}
