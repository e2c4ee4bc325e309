/**
 * The public types every repository, engine and app speaks.
 *
 * Folder names are canonical: UTF-8, hierarchy separated by '/', the inbox is
 * always 'INBOX'. Each repository translates to and from its own store
 * (IMAP: modified UTF-7 and the server's delimiter; Maildir: safe file names).
 *
 * Message ids are strings: an IMAP UID in decimal, or a Maildir unique name
 * (the part of the file name before ':2,').
 *
 * Flags are IMAP flags: '\\Seen', '\\Answered', '\\Flagged', '\\Deleted',
 * '\\Draft', and keywords (any atom without a leading backslash).
 */

export type MessageId = string;

/**
 * A folder as a scan saw it: its name and the uidValidity its ids were listed
 * under. Ids mean something only under that uidValidity (an IMAP server may
 * renumber a folder at any time, e.g. between a dropped connection and the
 * reconnect), so every request that acts on ids names it: the repository
 * compares it with the folder's uidValidity now, after any (re)SELECT, and
 * refuses the request with UidValidityChangedError when they differ. Build
 * one from a scan with `folderRef(name, scan)`.
 */
export interface FolderRef {
  name: string;
  uidValidity: string;
}

export interface FolderInfo {
  /** Canonical name ('INBOX', 'Archive/2024'). */
  name: string;
  /** RFC 6154 special use, e.g. '\\Sent', when the store knows it. */
  specialUse?: string;
  /** True when the folder cannot hold messages (IMAP \Noselect). */
  noSelect?: boolean;
  /**
   * Set when the store lists the folder but it cannot be synced: why (a name
   * that has no canonical form, a second INBOX...). `name` is then the
   * store's own name for it, for reports only: never pass it to another call.
   */
  skipped?: string;
  /**
   * The folder's state as the listing gave it at no extra cost (IMAP
   * LIST-STATUS): a scan given it (ScanOptions.listed) may answer
   * 'unchanged' without opening the folder.
   */
  status?: FolderStatus;
}

/** What a scan knows about a folder as a whole. */
export interface FolderStatus {
  /** IMAP UIDVALIDITY (a bigint, kept as a decimal string); Maildir: a stable value kept in the folder. */
  uidValidity: string;
  uidNext?: number;
  /** IMAP HIGHESTMODSEQ as a decimal string, when the server offers CONDSTORE. */
  highestModseq?: string;
  /** Number of messages in the folder when known. */
  exists?: number;
}

/** Metadata of one message as a scan reports it. */
export interface MessageMeta {
  id: MessageId;
  flags: readonly string[];
  /** Size in bytes with CRLF line ends (IMAP RFC822.SIZE). */
  size: number;
  /**
   * INTERNALDATE in milliseconds since the epoch (Maildir: file mtime).
   * Left out by a store that pays for it per message (Maildir: an lstat per
   * file) unless the scan asked for it (ScanOptions.internalDates).
   */
  internalDate?: number;
}

export interface ScanOptions {
  /** Every message's INTERNALDATE is wanted (an age selection): a store that reads it per message reads it. */
  internalDates?: boolean;
  /**
   * The folder's status from this store's listing earlier in the run
   * (FolderInfo.status): when it proves nothing changed since the
   * checkpoint, the store may answer 'unchanged' without opening the folder.
   * A change after the listing is then seen by the next run.
   */
  listed?: FolderStatus;
  /**
   * The scan follows this run's own writes to the folder, and its checkpoint
   * is for the next run to trust. A store whose checkpoint is a clock reading
   * (a Maildir's directory mtimes) waits, briefly, until a later change could
   * no longer share that reading; an IMAP folder needs no wait.
   */
  afterWrites?: boolean;
}

export interface ScanResult {
  status: FolderStatus;
  /**
   * Opaque token to pass to the next `scan` of this folder. Saved by the
   * engine only once the sync of the folder is committed.
   */
  checkpoint: string;
  /**
   * 'full': `messages` lists every message of the folder.
   * 'changes': `messages` lists only messages new or changed since the given
   *   checkpoint and `vanished` the ids removed since then.
   * 'unchanged': nothing changed since the checkpoint; both lists are empty.
   */
  kind: 'full' | 'changes' | 'unchanged';
  messages: MessageMeta[];
  vanished: MessageId[];
  /**
   * Messages the store lists but that cannot be used this run (a UID given
   * twice or out of range, ...), each with the reason. When present, the
   * listing does not account for every message by its id: the engine infers
   * nothing from absence on this side (no deletion, no pair dropped).
   */
  skipped?: SkippedMessage[];
}

/** A message a scan or a fetch could not use: its id as the store gave it (when it gave one) and why. */
export interface SkippedMessage {
  id?: MessageId;
  reason: string;
}

/**
 * The identity of a message: the same mail in two stores has the same
 * identity, however each store keeps it. 'mid:<Message-ID>' or, without a
 * Message-ID, 'sha256:<hex>' of the message normalised as core/identity.ts
 * says (README, "What imapfw checks").
 */
export type Identity = string;

export interface IdentifiedMessage {
  id: MessageId;
  identity: Identity;
  messageId?: string;
  /**
   * INTERNALDATE in milliseconds, from a store whose listing leaves it out
   * (a Maildir: the file's mtime, read from the file opened anyway). It tells
   * copies of one mail apart when the planner pairs them again.
   */
  internalDate?: number;
}

export interface FetchedMessage {
  id: MessageId;
  /** The raw RFC 5322 message (its start only when `partial`). Crosses threads as a transferred buffer. */
  body: Uint8Array;
  flags: readonly string[];
  internalDate: number;
  /**
   * Set when `body` is only the first `FetchOptions.partBytes` bytes of a
   * larger message: the size the store gives for all of it (RFC822.SIZE).
   * The rest is read with `fetchPart`, from `body.byteLength` on.
   */
  partial?: { size: number };
}

export interface FetchOptions {
  /** Stop once the bodies received pass this many bytes (see Repository.fetch). */
  maxBytes?: number;
  /**
   * A message larger than this comes back as its first `partBytes` bytes,
   * marked `partial`, so that no message is ever held whole: the caller
   * reads the rest with `fetchPart`. A repository may ignore it.
   */
  partBytes?: number;
}

/** A message to store, without its body: what `beginStore` takes (the body follows in parts). */
export type NewMessageMeta = Omit<NewMessage, 'body'>;

export interface NewMessage {
  body: Uint8Array;
  flags: readonly string[];
  internalDate: number;
  /**
   * The message's size with CRLF line ends as its source reported it (IMAP
   * RFC822.SIZE), when known. A store that needs that size (a Maildir's W=)
   * may take it when it equals the body's byte count, which leaves no bare
   * LF to count, and counts otherwise.
   */
  size?: number;
  /**
   * The identity of `body` as the engine computed it (it opens the copy's
   * intent with it). A store that finds written messages again by identity
   * (IMAP) takes it instead of reading the body once more.
   */
  identity?: Identity;
}

export interface FlagDelta {
  id: MessageId;
  add: string[];
  remove: string[];
}

/** A flag a folder cannot hold, and why (for the user: what to do about it, if anything). */
export interface RefusedFlag {
  flag: string;
  reason: string;
}

/**
 * The batch API every repository offers (DESIGN §3).
 *
 * Arguments and results are values, never shared state: a caller in another
 * thread gets structured clones (bodies transferred), but a caller placed on
 * the same worker calls the instance directly and gets the very objects the
 * method returns, and the method gets the caller's own arrays and buffers.
 * So a repository never returns an object it keeps (a cache entry, a listing
 * it will update) without copying it, and never keeps or changes what it was
 * given; a caller never changes what it passed or what it got back while
 * the repository may still use it. A body passed to `store` may be detached
 * (transferred) when the call returns.
 */
export interface Repository {
  /**
   * Opens ahead what the first call would open (a server connection and its
   * login), so that the first call does not wait for it; resolves at once
   * for a store that opens nothing. A failure is also the first call's: a
   * caller that opens ahead may ignore it.
   */
  connect(): Promise<void>;
  listFolders(): Promise<FolderInfo[]>;
  /**
   * True when `listed` (this store's FolderInfo.status of the folder) proves
   * it unchanged since `checkpoint`, so that a scan given both answers
   * 'unchanged' without opening it. No I/O: false for a store whose
   * listing gives no status.
   */
  listedUnchanged(checkpoint: string, listed: FolderStatus): Promise<boolean>;
  /**
   * True when `listed` proves that every message the folder held at
   * `checkpoint` is still there (messages may have come, flags changed):
   * none moved out. No I/O: false when the listing cannot tell.
   */
  listedKept(checkpoint: string, listed: FolderStatus): Promise<boolean>;
  createFolder(name: string): Promise<void>;
  deleteFolder(name: string): Promise<void>;
  scan(folder: string, checkpoint?: string, options?: ScanOptions): Promise<ScanResult>;
  /*
   * Every request below that acts on ids takes the folder as a FolderRef and
   * must refuse (UidValidityChangedError, nothing done) when the folder's
   * uidValidity is no longer `folder.uidValidity`.
   */
  identify(folder: FolderRef, ids: MessageId[]): Promise<IdentifiedMessage[]>;
  /**
   * Bodies of `ids`, in their order; a message that no longer exists is left
   * out. With `maxBytes`, the repository may stop early once the bodies it
   * received pass that many bytes (what a server sends, not what it claimed):
   * then more than `maxBytes` come back, at least one message, and the ones
   * left out may simply not have been fetched: ask for them again.
   */
  fetch(folder: FolderRef, ids: MessageId[], options?: FetchOptions): Promise<FetchedMessage[]>;
  /**
   * Up to `length` bytes of a message's body from `offset` (fewer at its
   * end, none past it): the rest of a `partial` fetched message. A message
   * gone meanwhile fails with MessagesUnavailableError.
   */
  fetchPart(folder: FolderRef, id: MessageId, offset: number, length: number): Promise<Uint8Array>;
  /** Stores messages durably; returns their new ids, in order. */
  store(folder: string, messages: NewMessage[]): Promise<MessageId[]>;
  /**
   * Stores one message whose body comes in parts (a large one, never held
   * whole by the caller): `beginStore` returns a draft, `storePart` adds the
   * next bytes to it, `finishStore` makes it durable and returns its id as
   * `store` would; `abandonStore` drops it. No draft is visible in the folder
   * before `finishStore`, and a draft left by a crash is cleaned up like any
   * unfinished delivery.
   */
  beginStore(folder: string, message: NewMessageMeta): Promise<string>;
  storePart(draft: string, part: Uint8Array): Promise<void>;
  finishStore(draft: string): Promise<MessageId>;
  abandonStore(draft: string): Promise<void>;
  setFlags(folder: FolderRef, deltas: FlagDelta[]): Promise<void>;
  /**
   * Makes room in the folder for as many of `flags` as it can, in the order
   * given (most wanted first: where room runs short, the first ones get it),
   * and returns those it cannot hold, with why. A store that holds any flag
   * returns none. The engine asks before planning, so that a flag a side
   * cannot hold is never sent there, nor taken as removed there.
   */
  reserveFlags(folder: string, flags: string[]): Promise<RefusedFlag[]>;
  delete(folder: FolderRef, ids: MessageId[]): Promise<void>;
  /**
   * Moves messages to another folder of the same store; returns their new
   * ids, in the order of `ids`. Optional: a store without a native move
   * leaves it out and the engine copies and deletes instead.
   */
  move?(fromFolder: FolderRef, toFolder: string, ids: MessageId[]): Promise<MessageId[]>;
  /**
   * Another sync tool's record of the folder's last sync with a server
   * folder (mbsync's, offlineimap's), for a folder pair imapfw never synced;
   * `ids` are every message the folder holds now, `serverUidValidity` the
   * server folder's now (to choose among records). Undefined when there is
   * none. Optional: the engine asks only the side its options name
   * (SyncFolderOptions.priorSync).
   */
  priorSync?(folder: FolderRef, ids: MessageId[], serverUidValidity: string): Promise<PriorSync | undefined>;
  close(): Promise<void>;
}

/**
 * Another tool's record of a folder's last sync with a server folder: the
 * base of imapfw's first sync of that pair, so that what changed since on
 * either side (a deletion, a flag cleared) propagates as if imapfw had made
 * that sync. The engine believes a pair only if the server folder still has
 * `serverUidValidity` and, where both messages are there, they have one
 * identity.
 */
export interface PriorSync {
  /** Who kept it ('mbsync', 'offlineimap'), for the log. */
  tool: string;
  /** The server folder's UIDVALIDITY the record was made under. */
  serverUidValidity: string;
  pairs: PriorPair[];
  /** Why the record cannot be believed (an unfinished run's journal, a store renumbered since): it then holds no pairs. */
  unusable?: string;
}

export interface PriorPair {
  /** The server's message: its UID, as the IMAP repository names messages. */
  server: MessageId;
  /** This store's message, or an id that names none here when it was deleted since. */
  here: MessageId;
  /** The flags both had at that sync. */
  flags: string[];
}

/** Which side of a folder pair. 'left' is the server side in every shipped app. */
export type Side = 'left' | 'right';
