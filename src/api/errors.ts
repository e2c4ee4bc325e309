/**
 * Typed errors. Each carries a stable `code` and a message that says what
 * failed, where, and what the user can do. `retryable` tells the engine
 * whether trying again later can help (network faults) or not (bad password).
 */
export class ImapfwError extends Error {
  readonly code: string;
  readonly retryable: boolean;

  constructor(code: string, message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options.retryable ?? false;
  }
}

/** The server refused the credentials. Never retried. */
export class AuthError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('EAUTH', message, options);
  }
}

/** The connection failed or dropped. Retryable. */
export class NetworkError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ENETWORK', message, { ...options, retryable: true });
  }
}

/**
 * A call on a connection moved no byte, or too few, within its deadline
 * (`--timeout`): the connection was closed. Retried once (a reconnect can
 * help); a server that stalls twice is given up for the run.
 */
export class StallError extends NetworkError {}

/** A folder named in a request does not exist (e.g. deleted between LIST and SELECT). */
export class FolderNotFoundError extends ImapfwError {
  constructor(readonly folder: string, options: { cause?: unknown } = {}) {
    super('EFOLDERGONE', `folder "${folder}" does not exist`, options);
  }
}

/**
 * A request named ids under a uidValidity the folder no longer has: the
 * store renumbered it since it was listed (an IMAP server after a reconnect,
 * a Maildir whose uidValidity file was replaced). Nothing was done; the
 * folder fails for this run and the next run pairs its messages again by
 * identity. Never retried: the ids mean other messages now.
 */
export class UidValidityChangedError extends ImapfwError {
  constructor(readonly folder: string, readonly expected: string, readonly actual: string) {
    super(
      'EUIDVALIDITY',
      `folder "${folder}" was renumbered since it was listed (UIDVALIDITY ${expected || 'unknown'}, now ${actual || 'none'}): ` +
        'nothing was done with the old ids; the next run pairs its messages again by identity',
    );
  }
}

/** The server's SELECT gave no UIDVALIDITY: no id of the folder can be trusted. */
export class NoUidValidityError extends ImapfwError {
  constructor(readonly folder: string) {
    super('ENOUIDVALIDITY', `folder "${folder}": the server gave no UIDVALIDITY when it was opened, so its UIDs cannot be trusted; the folder is left out`);
  }
}

/**
 * A listing does not account for the folder: fewer rows than the server's
 * own count (EXISTS), rows it could not parse. Nothing is inferred from it;
 * the folder fails for this run.
 */
export class IncompleteListingError extends ImapfwError {
  constructor(readonly folder: string, detail: string) {
    super('ELISTING', `folder "${folder}": the server's listing is incomplete (${detail}); nothing was deleted because of it, run again`, { retryable: false });
  }
}

/**
 * Messages that exist but whose body the store did not give (NIL, empty, or
 * shorter than its size): an error for each of them, never taken as deleted.
 */
export class MessagesUnavailableError extends ImapfwError {
  constructor(readonly folder: string, readonly failures: { id: string; reason: string }[]) {
    super(
      'EUNAVAILABLE',
      `folder "${folder}": ${failures.length} message(s) could not be read: ` +
        failures
          .slice(0, 5)
          .map((failure) => `${failure.id} (${failure.reason})`)
          .join(', ') +
        (failures.length > 5 ? ', ...' : ''),
    );
  }
}

/** A write was asked of a repository opened read-only. */
export class ReadOnlyError extends ImapfwError {
  constructor(operation: string) {
    super('EREADONLY', `${operation} refused: the repository is read-only`);
  }
}

/** Bad options or configuration. The message names the option. */
export class ConfigError extends ImapfwError {
  constructor(message: string) {
    super('ECONFIG', message);
  }
}

/** A store refused or failed an operation on a message or folder. */
export class StoreError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown; retryable?: boolean } = {}) {
    super('ESTORE', message, options);
  }
}

/**
 * A message too large for the store: the server refused it (NO [TOOBIG], or
 * a NO/BAD that says so) or it is above a limit the server announced
 * (APPENDLIMIT). Trying again cannot help; the message is skipped.
 */
export class TooBigError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ETOOBIG', message, options);
  }
}

/**
 * The provider asks to slow down (Microsoft's "Request is throttled", Gmail's
 * [THROTTLED]). Retryable: after `waitMs` when the server said how long.
 */
export class ThrottledError extends ImapfwError {
  constructor(message: string, readonly waitMs?: number, options: { cause?: unknown } = {}) {
    super('ETHROTTLED', message, { ...options, retryable: true });
  }
}

/**
 * A limit of the provider over a day (Gmail's IMAP bandwidth: "[OVERQUOTA]",
 * "Account exceeded command or bandwidth limits") is used up: nothing more
 * can be done today. Not retryable; the run ends partial and says when to run again.
 */
export class DailyLimitError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('EDAILYLIMIT', message, options);
  }
}

/**
 * A folder name this store cannot hold (too long for a file name, not valid
 * Unicode, holding the server's hierarchy delimiter...). Never retried: the
 * folder is skipped, named in the summary, until it is renamed or excluded.
 */
export class FolderNameError extends ImapfwError {
  constructor(readonly folder: string, why: string) {
    super('EFOLDERNAME', `folder name ${JSON.stringify(folder)} cannot be used here: ${why}`);
  }
}

/**
 * A store kept some messages of a batch and not others. `stored` has the new
 * id of each message of the batch, in order, or null for one not stored;
 * `failures` says why, by the message's place in the batch.
 */
/** A message of a batch that was not stored, by its place in the batch. */
export interface StoreFailure {
  index: number;
  reason: string;
  /**
   * The target said it stored the message, and something new that matches
   * nothing sent is there: most likely the message, changed beyond
   * recognition. Copying it again would most likely add it again.
   */
  unfound?: true;
}

export class PartialStoreError extends StoreError {
  constructor(
    readonly folder: string,
    readonly stored: (string | null)[],
    readonly failures: StoreFailure[],
    /** Set when the store is full (see NoSpaceError): its message. What was stored is kept; the copy stops. */
    readonly noSpace?: string,
  ) {
    super(`"${folder}": ${failures.length} of ${stored.length} message(s) not stored (first: ${failures[0]?.reason ?? 'unknown'})`);
  }
}

/**
 * The local store cannot take more messages: its file system is full, over
 * quota or read-only. Ends the account's run, since every later message
 * would fail the same way after being downloaded for nothing; what was
 * stored is kept, and the next run copies the rest.
 */
export class NoSpaceError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ENOSPACE', message, options);
  }
}

/** Another run holds the account's state. */
export class StateLockedError extends ImapfwError {
  constructor(readonly path: string, readonly holder: string) {
    super('ESTATELOCKED', `state ${path} is in use by ${holder}; wait for it to finish or stop it`);
  }
}

/** The state database cannot be read. */
export class StateCorruptError extends ImapfwError {
  constructor(readonly path: string, options: { cause?: unknown } = {}) {
    super(
      'ESTATECORRUPT',
      `state database ${path} is unreadable; run again with --rebuild-state to rebuild it by pairing messages on identity`,
      options,
    );
  }
}

/** One pair a state commit wanted to save, and the saved pairs that hold one of its ids with another partner. */
export interface PairConflict {
  pair: { left?: string; right?: string; flags: readonly string[]; identity?: string };
  holders: { left?: string; right?: string; flags: readonly string[]; identity?: string }[];
}

/**
 * A state commit would have made a pair that takes an id another pair holds
 * with another partner. Nothing of the commit was applied: the caller
 * decides which claim is true (by identity) and removes the other pair
 * explicitly.
 */
export class StateConflictError extends ImapfwError {
  constructor(readonly conflicts: PairConflict[]) {
    const first = conflicts[0]!;
    const describe = (pair: PairConflict['pair']) => `(${pair.left ?? '-'}, ${pair.right ?? '-'})`;
    super(
      'ESTATECONFLICT',
      `state: ${conflicts.length} pair(s) would replace another pair, e.g. ${describe(first.pair)} against ${first.holders.map(describe).join(', ')}; nothing was saved`,
    );
  }
}

/** `imapfw ctl` (or a one-shot run handing its pass over) found no daemon for the state directory. */
export class NoDaemonError extends ImapfwError {
  constructor(readonly socket: string, reason: string) {
    super(
      'ENODAEMON',
      `no imapfw daemon runs for this state directory (${reason} at ${socket}); start one with \`imapfw sync --watch\` or \`imapfw mirror --watch\` (a change made meanwhile is found by its first pass)`,
    );
  }
}

/** A daemon already serves this state directory's control socket. */
export class DaemonRunningError extends ImapfwError {
  constructor(readonly socket: string, holder: string) {
    super('EDAEMONRUNNING', `an imapfw daemon already serves ${socket} (${holder}); serve every account from one daemon (--config with several accounts) or give this one its own --state-dir`);
  }
}

/** A daemon refused a control request, or the pass it ran for it failed: its code and message, as the daemon gave them. */
export class ControlError extends ImapfwError {
  constructor(code: string, message: string) {
    super(code, message);
  }
}

/** An error raised by the runtime: channels, workers, supervisor. */
export class RuntimeError extends ImapfwError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super('ERUNTIME', message, options);
  }
}
