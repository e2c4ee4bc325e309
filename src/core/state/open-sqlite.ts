import { createRequire } from 'node:module';
import type Database from 'better-sqlite3';

// Required, not imported: Node reads an imported CommonJS package with a lexer of its own (to find its named
// exports), which it loads for the first such import. better-sqlite3 was the last one a run imported.
const require = createRequire(import.meta.url);
const BetterSqlite3 = require('better-sqlite3') as typeof Database;

/**
 * The addon's file, named to better-sqlite3 so that it skips its own search (the `bindings` package: an Error built
 * for its stack, then two paths that do not exist before build/Release), 2-3 ms of every run's start. An addon
 * built elsewhere (a debug build) is still found by that search.
 */
const NATIVE_BINDING = (() => {
  try {
    return require.resolve('better-sqlite3/build/Release/better_sqlite3.node');
  } catch {
    return undefined;
  }
})();

/** better-sqlite3's error, whose `code` is SQLite's (SQLITE_BUSY, SQLITE_CORRUPT...). */
export const SqliteError = BetterSqlite3.SqliteError;

/**
 * Every Database and Statement opened in this thread, kept reachable until the
 * thread ends. better-sqlite3 12 builds them on node::ObjectWrap, whose
 * destructor on Node >= 24 asks for the thread's Environment: when the garbage
 * collector finalizes one outside a JavaScript context (a collection run from
 * a platform task), there is none and Node aborts the process
 * (RemoveEnvironmentCleanupHook assertion; fixed in better-sqlite3 13, which
 * needs Node >= 22). Objects still reachable are freed by the thread's
 * environment cleanup instead, where the Environment exists. The cost is a few
 * dozen small objects per database opened (a closed database has already
 * finalized its SQLite statements).
 */
const kept: object[] = [];

/** `new Database(path, options)`, whose statements (its own `prepare` and `pragma`) are never garbage. */
export function openSqlite(path: string, options?: Database.Options): Database.Database {
  const db = new BetterSqlite3(path, NATIVE_BINDING ? { nativeBinding: NATIVE_BINDING, ...options } : options);
  kept.push(db);
  const prepare = db.prepare.bind(db);
  db.prepare = ((source: string) => {
    const statement = prepare(source);
    kept.push(statement);
    return statement;
  }) as Database.Database['prepare'];
  // better-sqlite3's own pragma() prepares a statement we could not keep.
  db.pragma = ((source: string, options?: Database.PragmaOptions) => {
    const statement = db.prepare(`PRAGMA ${source}`);
    if (!statement.reader) {
      statement.run(); // a pragma that sets and returns nothing (journal_mode returns the mode)
      return options?.simple ? undefined : [];
    }
    return options?.simple ? statement.pluck().get() : statement.all();
  }) as Database.Database['pragma'];
  return db;
}
