import Database from 'better-sqlite3';

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
  const db = new Database(path, options);
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
