import type { ImapFlow, StatusObject, StatusQuery } from 'imapflow';
import type { Logger } from 'pino';
import type { ActorContext } from '../app.js';
import { AuthError, MessagesUnavailableError, NetworkError, PartialStoreError, ReadOnlyError, StallError, StoreError, UidValidityChangedError } from '../errors.js';
import type {
  FetchedMessage,
  FetchOptions,
  FlagDelta,
  FolderInfo,
  FolderRef,
  FolderStatus,
  IdentifiedMessage,
  MessageId,
  NewMessage,
  NewMessageMeta,
  RefusedFlag,
  Repository,
  ScanOptions,
  ScanResult,
} from '../types.js';
import { appendMessages, folderBefore, locateStored, type UidClaim } from '../../core/imap/append.js';
import { connectImap, takeRefusal } from '../../core/imap/connect.js';
import { CallDeadline, DEFAULT_MIN_BYTES_PER_SECOND, DEFAULT_TIMEOUT_MS, describeStall, type DeadlineOptions, type Stall } from '../../core/imap/deadline.js';
import { toImapfwError } from '../../core/imap/errors.js';
import { flagList, toMillis } from '../../core/imap/fields.js';
import { canonicalFolderName, serverFolderPath, unusableFolder, type FolderLayout } from '../../core/imap/folder-names.js';
import { identifyUids } from '../../core/imap/identify.js';
import { credentialsFrom, refusedLogin, type Credentials, type Login } from '../../core/imap/credentials.js';
import { listedStatus, scanMailbox } from '../../core/imap/scan.js';
import { openMailbox } from '../../core/imap/open-mailbox.js';
import { keptSince, unchangedSince } from '../../core/imap/checkpoint.js';
import { ownBuffer } from '../../core/own-buffer.js';
import { toUid, uidSets } from '../../core/imap/uid-set.js';
import { describeServer, parseImapUrl, type ImapServer } from '../../core/imap/url.js';

import type { PasswordSource } from '../../core/imap/password.js';
export type { PasswordSource } from '../../core/imap/password.js';

/** Without UIDPLUS, how often messages other clients mark \\Deleted meanwhile are undeleted before a delete gives up. */
const UNDELETE_ROUNDS = 3;

export interface ImapRepositoryOptions {
  /** `imaps://USER@HOST[:PORT]` (TLS, port 993) or `imap://USER@HOST[:PORT]` (STARTTLS, port 143). */
  url: string;
  /** A password, or OAuth2 access tokens (`{ oauth2Command }`, `{ oauth2 }`): see PasswordSource. */
  password: PasswordSource;
  /** Open folders with EXAMINE and refuse every write before sending anything. */
  readOnly?: boolean;
  /** Allow a login without TLS to a host that is not loopback when the server offers no STARTTLS. */
  allowPlaintext?: boolean;
  tls?: { rejectUnauthorized?: boolean; ca?: string };
  /** imapflow logs its commands here too (passwords masked) as `component: 'imapflow'`. */
  logger?: Logger;
  connectTimeoutMs?: number;
  /**
   * A call that moves no byte for this long (default 60 s, `--timeout`), or
   * fewer than `minBytesPerSecond` on average over that long, is given up:
   * the connection is closed and the call fails with a StallError. Calls that
   * move many bytes get as long as they keep moving them.
   */
  timeoutMs?: number;
  /** Default 512 bytes/s: a server dribbling a byte every few seconds never ends a call otherwise. */
  minBytesPerSecond?: number;
  /**
   * A refused login is final for the instance (default), or tried again on a
   * call this long after the refusal (a daemon: the password may be fixed meanwhile).
   */
  retryRefusedLoginAfterMs?: number;
}

/**
 * A Repository on an IMAP server, through one imapflow connection, opened on
 * the first call and reopened on the next call after it dropped. Calls on one
 * instance run one after the other. Message ids are UIDs in decimal.
 *
 * Folder names: canonical names ('/'-separated, UTF-8, 'INBOX') are mapped to
 * the server's delimiter, namespace prefix and modified UTF-7 by
 * core/imap/folder-names. On top of that, the offlineimap-style hooks work on
 * canonical names:
 * - `listFolders()` keeps the server folders for which `folderFilter(name)`
 *   is true (name as on the server) and returns them as `nameTrans(name)`;
 * - every folder argument (scan, fetch, store, createFolder, move, ...) is a
 *   translated name and goes through `nameTransBack(name)` first.
 * `nameTransBack(nameTrans(x))` must give back `x`.
 */
export class ImapRepository implements Repository {
  protected readonly server: ImapServer;
  protected readonly account: string;
  protected readonly readOnly: boolean;
  protected readonly log: Logger | undefined;
  /** Where imapflow logs its commands: `options.logger`, else the actor's logger (`--log-level debug` shows the IMAP traffic). */
  private readonly imapflowLogger: Logger | undefined;
  private session: ImapFlow | undefined;
  private credentials: Credentials | undefined;
  /** A refused login is final for this instance: no second attempt with the same password. */
  private authFailure: { error: AuthError; at: number } | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  /** Messages being stored in parts (beginStore), by draft id. */
  private readonly drafts = new Map<string, { folder: string; message: NewMessageMeta; body: Buffer; length: number }>();
  private lastDraft = 0;
  private readonly deadline: DeadlineOptions;

  /** `context` is given when the repository runs as an actor: its logger is used unless `options.logger` is set. */
  constructor(protected readonly options: ImapRepositoryOptions, context?: Pick<ActorContext, 'logger'>) {
    this.server = parseImapUrl(options.url);
    this.account = describeServer(this.server);
    this.readOnly = options.readOnly === true;
    this.imapflowLogger = options.logger ?? context?.logger;
    this.log = this.imapflowLogger?.child({ component: 'imap', account: this.account });
    this.deadline = { timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS, minBytesPerSecond: options.minBytesPerSecond ?? DEFAULT_MIN_BYTES_PER_SECOND };
  }

  /** Which server folders listFolders reports; `name` is canonical, before nameTrans. */
  folderFilter(_name: string): boolean {
    return true;
  }

  /** Server folder name (canonical) -> the name callers see. */
  nameTrans(name: string): string {
    return name;
  }

  /** The name callers use -> server folder name (canonical). */
  nameTransBack(name: string): string {
    return name;
  }

  /**
   * With LIST-STATUS and QRESYNC, each selectable folder comes with its
   * status from the same answer (FolderInfo.status), so that scans of the
   * folders unchanged since the last run need not open them.
   */
  listFolders(): Promise<FolderInfo[]> {
    return this.run('list folders', undefined, async (client) => {
      const withStatus = client.capabilities.has('LIST-STATUS') && client.enabled.has('QRESYNC');
      const listed = await this.listedFolders(client, withStatus ? { messages: true, uidNext: true, uidValidity: true, highestModseq: true } : undefined);
      // The selected folder's STATUS is this session's view of it, which may not have heard of the latest changes yet (RFC 3501 6.3.10).
      const selected = client.mailbox ? client.mailbox.path : undefined;
      return listed.map(({ folder, status }) => {
        const known = status && status.path !== selected && !folder.noSelect && folder.skipped === undefined ? listedStatus(status) : undefined;
        return known ? { ...folder, status: known } : folder;
      });
    });
  }

  /** The server's folders as listFolders reports them, each with what `statusQuery` asked of it (LIST-STATUS, else one STATUS each). */
  protected async listedFolders(client: ImapFlow, statusQuery?: StatusQuery): Promise<{ folder: FolderInfo; status?: StatusObject }[]> {
    const layout = folderLayout(client);
    const folders: { folder: FolderInfo; status?: StatusObject }[] = [];
    const listed = await client.list(statusQuery ? { statusQuery } : undefined);
    const inboxes = listed.filter((entry) => entry.path === 'INBOX');
    const inbox = inboxes.find((entry) => entry.pathAsListed === 'INBOX') ?? inboxes[0];
    for (const entry of listed) {
      const unusable = unusableFolder(entry, layout, inbox);
      if (unusable === 'elsewhere') continue;
      if (unusable !== undefined) {
        // Reported, never synced: the name a user would recognise, as listed (decoded), with the reason.
        const shown = entry.delimiter && entry.pathAsListed.startsWith(entry.delimiter) ? `${entry.delimiter}${entry.path}` : entry.path === 'INBOX' ? entry.pathAsListed : entry.path;
        this.log?.warn({ path: shown, reason: unusable }, 'folder skipped');
        folders.push({ folder: { name: shown, skipped: unusable } });
        continue;
      }
      const name = canonicalFolderName(entry.path, layout)!;
      if (!this.folderFilter(name)) continue;
      const noSelect = entry.flags.has('\\Noselect') || entry.flags.has('\\NonExistent');
      // imapflow also guesses special use from names ("Sent Items"); report only what the server declares.
      const specialUse = entry.specialUseSource === 'extension' ? entry.specialUse : undefined;
      const folder = { name: this.nameTrans(name), ...(specialUse ? { specialUse } : {}), ...(noSelect ? { noSelect } : {}) };
      folders.push({ folder, ...(entry.status ? { status: entry.status } : {}) });
    }
    return folders;
  }

  async createFolder(name: string): Promise<void> {
    this.refuseIfReadOnly('createFolder');
    await this.run('create folder', name, async (client) => {
      await client.mailboxCreate(this.serverPath(client, name));
    });
  }

  async deleteFolder(name: string): Promise<void> {
    this.refuseIfReadOnly('deleteFolder');
    await this.run('delete folder', name, async (client) => {
      await client.mailboxDelete(this.serverPath(client, name));
    });
  }

  async listedUnchanged(checkpoint: string, listed: FolderStatus): Promise<boolean> {
    return unchangedSince(checkpoint, listed);
  }

  async listedKept(checkpoint: string, listed: FolderStatus): Promise<boolean> {
    return keptSince(checkpoint, listed);
  }

  scan(folder: string, checkpoint?: string, options?: ScanOptions): Promise<ScanResult> {
    // The listing's status proves the folder unchanged: no SELECT, and no connection if none is open.
    if (options?.listed && checkpoint && unchangedSince(checkpoint, options.listed)) {
      return Promise.resolve({ status: { ...options.listed }, checkpoint, kind: 'unchanged', messages: [], vanished: [] });
    }
    return this.run('scan', folder, (client) =>
      scanMailbox(client, this.serverPath(client, folder), { folder, readOnly: this.readOnly, ...(checkpoint ? { checkpoint } : {}) }),
    );
  }

  /** Messages that no longer exist are left out. */
  identify(folder: FolderRef, ids: MessageId[]): Promise<IdentifiedMessage[]> {
    const uids = ids.map(toUid);
    return this.run('identify', folder.name, async (client) => {
      await this.open(client, folder);
      const identities = await identifyUids(client, uids);
      return uids.flatMap((uid) => {
        const found = identities.get(uid);
        return found ? [{ id: String(uid), ...found }] : [];
      });
    });
  }

  /**
   * Bodies with `BODY.PEEK[]` (never sets \Seen), in the order of `ids`;
   * messages that no longer exist are left out. Each body owns its whole
   * ArrayBuffer, so it can be transferred to another thread. With
   * `maxBytes`, rows stop being kept once the bodies received pass it (the
   * rest of the answer is read and dropped, one row at a time): memory is
   * bounded by what arrives, whatever sizes the server claimed.
   * A message without its body in a full answer is left out only when
   * `UID SEARCH` confirms it is gone; a body that came back NIL, empty or
   * shorter than the message's RFC822.SIZE, or missing for a message still
   * there, is a MessagesUnavailableError naming each one.
   */
  fetch(folder: FolderRef, ids: MessageId[], options: FetchOptions = {}): Promise<FetchedMessage[]> {
    const uids = ids.map(toUid);
    const maxBytes = options.maxBytes ?? Infinity;
    const { partBytes } = options;
    // With partBytes, BODY.PEEK[]<0.partBytes>: a message that fills the window is a part, whatever size the server claims.
    const source = partBytes ? { start: 0, maxLength: partBytes } : true;
    return this.run('fetch', folder.name, async (client) => {
      await this.open(client, folder);
      const wanted = new Set(uids);
      const byUid = new Map<number, FetchedMessage>();
      const failures = new Map<number, string>();
      let received = 0;
      for (const set of uidSets(uids)) {
        // No other command may run inside this loop (imapflow deadlocks): rows are only collected.
        for await (const row of client.fetch(set, { uid: true, flags: true, internalDate: true, size: true, source }, { uid: true })) {
          if (!wanted.has(row.uid) || byUid.has(row.uid)) continue;
          const partial = partBytes !== undefined && row.source?.byteLength === partBytes;
          const problem = bodyProblem(row.source, partial ? undefined : row.size);
          if (problem) {
            failures.set(row.uid, problem);
            continue;
          }
          const message: FetchedMessage = { id: String(row.uid), body: ownBuffer(row.source!), flags: flagList(row.flags), internalDate: toMillis(row.internalDate) };
          if (partial) message.partial = { size: row.size ?? partBytes };
          byUid.set(row.uid, message);
          received += row.source!.length;
          if (received > maxBytes) break;
        }
        if (received > maxBytes) break;
      }
      for (const uid of failures.keys()) if (byUid.has(uid)) failures.delete(uid);
      // Stopped at maxBytes: the rest was not asked for, not refused.
      const unanswered = received > maxBytes ? [] : uids.filter((uid) => !byUid.has(uid) && !failures.has(uid));
      for (const uid of await this.stillThere(client, unanswered)) failures.set(uid, 'the server listed it but sent no body for it');
      if (failures.size) throw new MessagesUnavailableError(folder.name, [...failures].map(([uid, reason]) => ({ id: String(uid), reason })));
      return uids.flatMap((uid) => byUid.get(uid) ?? []);
    });
  }

  /**
   * `UID FETCH uid BODY.PEEK[]<offset.length>`; past the end, no bytes (NIL
   * too: the caller checks the total against RFC822.SIZE). A part longer
   * than asked, or from another offset (a server that ignores the range), is
   * not taken: a MessagesUnavailableError says so, as for a message gone.
   */
  fetchPart(folder: FolderRef, id: MessageId, offset: number, length: number): Promise<Uint8Array> {
    const uid = toUid(id);
    return this.run('fetch', folder.name, async (client) => {
      await this.open(client, folder);
      const row = await client.fetchOne(String(uid), { uid: true, source: { start: offset, maxLength: length } }, { uid: true });
      if (!row || row.uid !== uid) throw new MessagesUnavailableError(folder.name, [{ id, reason: 'it is no longer in the folder' }]);
      const part = row.source ?? Buffer.alloc(0);
      // imapflow records where a partial answer says it starts (`BODY[]<origin>`), untyped.
      const origin = (row as { partialOrigins?: Map<string, number> }).partialOrigins?.get('');
      if (part.byteLength > length || (origin !== undefined && origin !== offset)) {
        throw new MessagesUnavailableError(folder.name, [{ id, reason: `the server did not send the part asked for (${length} bytes from ${offset}): it ignores byte ranges` }]);
      }
      return ownBuffer(part);
    });
  }

  async store(folder: string, messages: NewMessage[]): Promise<MessageId[]> {
    this.refuseIfReadOnly('store');
    if (messages.length === 0) return [];
    return this.run('store', folder, async (client) => {
      const { uids, failures } = await appendMessages(client, this.serverPath(client, folder), messages, folder, this.account);
      const ids = uids.map((uid) => (uid === undefined ? null : String(uid)));
      if (failures.length) throw new PartialStoreError(folder, ids, failures);
      return ids as string[];
    });
  }

  /**
   * IMAP has no APPEND in parts (and imapflow sends a literal from one
   * buffer): the parts are gathered into one buffer of the size announced,
   * so that the message is held once, and appended by finishStore.
   */
  async beginStore(folder: string, message: NewMessageMeta): Promise<string> {
    this.refuseIfReadOnly('store');
    const draft = String(++this.lastDraft);
    // The source's size may be wrong: the buffer grows when it falls short; a large claim costs no memory until written.
    this.drafts.set(draft, { folder, message, body: Buffer.allocUnsafe(Math.min(message.size ?? 0, MAX_DRAFT_PREALLOCATION)), length: 0 });
    return draft;
  }

  async storePart(draft: string, part: Uint8Array): Promise<void> {
    const entry = this.draft(draft);
    if (entry.length + part.byteLength > entry.body.byteLength) {
      const grown = Buffer.allocUnsafe(Math.max(2 * entry.body.byteLength, entry.length + part.byteLength));
      entry.body.copy(grown, 0, 0, entry.length);
      entry.body = grown;
    }
    entry.body.set(part, entry.length);
    entry.length += part.byteLength;
  }

  async finishStore(draft: string): Promise<MessageId> {
    const { folder, message, body, length } = this.draft(draft);
    this.drafts.delete(draft);
    const [id] = await this.store(folder, [{ ...message, body: body.subarray(0, length) }]);
    return id!;
  }

  async abandonStore(draft: string): Promise<void> {
    this.drafts.delete(draft);
  }

  /**
   * The flags the folder's PERMANENTFLAGS do not allow: a server without
   * `\\*` there keeps no keyword it does not list (and imapflow drops such
   * flags from a STORE without a word), so they are refused rather than
   * sent and then read as removed here. None on a server that sends no
   * PERMANENTFLAGS (RFC 3501: every flag is then permanent), nor read-only
   * (nothing is written to it).
   */
  async reserveFlags(folder: string, flags: string[]): Promise<RefusedFlag[]> {
    if (this.readOnly || flags.length === 0) return [];
    return this.run('reserve flags', folder, async (client) => {
      await this.select(client, folder);
      const permanent = client.mailbox ? client.mailbox.permanentFlags : undefined;
      if (!permanent || permanent.has('\\*')) return [];
      const allowed = new Set([...permanent].map((flag) => flag.toLowerCase()));
      const reason = `the server keeps no flag it does not list in this folder's PERMANENTFLAGS (${[...permanent].join(' ') || 'none'})`;
      return flags.filter((flag) => !allowed.has(flag.toLowerCase())).map((flag) => ({ flag, reason }));
    });
  }

  /** Deltas with the same add and remove sets share one `UID STORE +FLAGS.SILENT` / `-FLAGS.SILENT` per UID set. */
  async setFlags(folder: FolderRef, deltas: FlagDelta[]): Promise<void> {
    this.refuseIfReadOnly('setFlags');
    const groups = new Map<string, { add: string[]; remove: string[]; uids: number[] }>();
    for (const delta of deltas) {
      const add = [...new Set(flagList(delta.add))].sort();
      const remove = [...new Set(flagList(delta.remove))].sort();
      if (add.length === 0 && remove.length === 0) continue;
      const key = JSON.stringify([add, remove]);
      const group = groups.get(key) ?? { add, remove, uids: [] };
      group.uids.push(toUid(delta.id));
      groups.set(key, group);
    }
    if (groups.size === 0) return;
    await this.run('set flags', folder.name, async (client) => {
      await this.open(client, folder);
      for (const { add, remove, uids } of groups.values()) {
        for (const set of uidSets(uids)) {
          if (add.length) this.expectDone(client, await client.messageFlagsAdd(set, add, { uid: true, silent: true }), `adding ${add.join(' ')}`, folder.name);
          if (remove.length) this.expectDone(client, await client.messageFlagsRemove(set, remove, { uid: true, silent: true }), `removing ${remove.join(' ')}`, folder.name);
        }
      }
    });
  }

  /**
   * `\Deleted` + `UID EXPUNGE`. Without UIDPLUS only a plain EXPUNGE exists,
   * which removes every \Deleted message of the folder: see expungeUids.
   */
  async delete(folder: FolderRef, ids: MessageId[]): Promise<void> {
    this.refuseIfReadOnly('delete');
    const uids = ids.map(toUid);
    if (uids.length === 0) return;
    await this.run('delete', folder.name, async (client) => {
      await this.open(client, folder);
      await this.expungeUids(client, uids, folder.name);
    });
  }

  /**
   * `UID MOVE` when offered, else `UID COPY` then delete as above. The new
   * ids are found as for store (core/imap/append.ts locateStored): a
   * COPYUID is believed once plausible and confirmed by identity, else the
   * message is looked for by identity. With COPY, only the messages found in
   * the target are deleted from the source. A message not found in the
   * target fails the call with PartialStoreError (null in its place).
   */
  async move(from: FolderRef, toFolder: string, ids: MessageId[]): Promise<MessageId[]> {
    this.refuseIfReadOnly('move');
    const fromFolder = from.name;
    const uids = ids.map(toUid);
    if (uids.length === 0) return [];
    return this.run('move', fromFolder, async (client) => {
      const target = this.serverPath(client, toFolder);
      // Also proves that the target exists: imapflow reports a refused MOVE/COPY as a bare `false`.
      const before = await folderBefore(client, target, toFolder).catch((error: unknown) => {
        throw toImapfwError(error, { account: this.account, operation: 'status', folder: toFolder, connectionLost: !client.usable });
      });
      await this.open(client, from);
      const native = client.capabilities.has('MOVE');
      // What each message must be in the target, to confirm (or find) its new UID.
      const identities = await identifyUids(client, uids);
      const claims = new Map<number, UidClaim>();
      for (const set of uidSets(uids)) {
        const answer = native ? await client.messageMove(set, target, { uid: true }) : await client.messageCopy(set, target, { uid: true });
        this.expectDone(client, answer, native ? 'MOVE' : 'COPY', fromFolder);
        const uidValidity = answer ? answer.uidValidity : undefined;
        if (answer && answer.uidMap) for (const [from, to] of answer.uidMap) claims.set(from, { uid: to, ...(uidValidity !== undefined ? { uidValidity: BigInt(uidValidity) } : {}) });
      }
      // COPY keeps the source UID order, so twins pair up in that order.
      const present = uids.filter((uid) => identities.has(uid)).sort((a, b) => a - b);
      const located = await locateStored(client, target, before, present.map((uid) => ({ identity: identities.get(uid)!.identity, ...(claims.has(uid) ? { claim: claims.get(uid)! } : {}) })));
      const moved = new Map<number, number>();
      present.forEach((uid, index) => located.uids[index] !== undefined && moved.set(uid, located.uids[index]));
      if (!native && moved.size > 0) {
        await this.open(client, from);
        await this.expungeUids(client, [...moved.keys()], fromFolder);
      }
      const newIds = uids.map((uid) => (moved.has(uid) ? String(moved.get(uid)) : null));
      const failures = uids.flatMap((uid, index) =>
        moved.has(uid) ? [] : [{ index, reason: identities.has(uid) ? `UID ${uid} was not found in "${toFolder}" after the ${native ? 'MOVE' : 'COPY'}` : `UID ${uid} no longer existed in "${fromFolder}"` }],
      );
      if (failures.length) throw new PartialStoreError(toFolder, newIds, failures);
      return newIds as string[];
    });
  }

  /** Logs in now, after the calls before it (a no-op on a live connection). */
  async connect(): Promise<void> {
    await this.run('connect', undefined, async () => undefined);
  }

  /** Waits for running calls, then logs out. A later call connects again. */
  async close(): Promise<void> {
    await this.queue;
    const session = this.session;
    this.session = undefined;
    if (!session) return;
    if (session.usable) await session.logout().catch(() => undefined);
    session.close();
  }

  /** The connection, opened (or reopened after a drop) on demand; `deadline` watches the greeting and login. */
  protected async connection(deadline?: CallDeadline): Promise<ImapFlow> {
    if (this.authFailure && performance.now() - this.authFailure.at < (this.options.retryRefusedLoginAfterMs ?? Infinity)) throw this.authFailure.error;
    this.authFailure = undefined;
    if (this.session?.usable) return this.session;
    this.session?.close();
    this.session = undefined;
    this.credentials ??= credentialsFrom(this.options.password, this.account);
    try {
      const login = await this.credentials.login();
      try {
        this.session = await this.login(login, deadline);
      } catch (error) {
        // An access token may be refused before our clock says it expired (revoked, the server's clock): one more try with a fresh one.
        if (!(error instanceof AuthError) || !('accessToken' in login)) throw error;
        this.log?.info('the server refused the OAuth2 access token; logging in again with a fresh one');
        this.session = await this.login(await this.credentials.login(login.accessToken), deadline);
      }
    } catch (error) {
      if (error instanceof AuthError) this.authFailure = { error: refusedLogin(error, this.credentials), at: performance.now() };
      throw this.authFailure?.error ?? error;
    }
    return this.session;
  }

  private login(login: Login, deadline?: CallDeadline): Promise<ImapFlow> {
    return connectImap({
      server: this.server,
      login,
      ...(this.options.allowPlaintext !== undefined ? { allowPlaintext: this.options.allowPlaintext } : {}),
      ...(this.options.tls ? { tls: this.options.tls } : {}),
      ...(this.imapflowLogger ? { logger: this.imapflowLogger } : {}),
      ...(this.options.connectTimeoutMs !== undefined ? { connectTimeoutMs: this.options.connectTimeoutMs } : {}),
      // imapflow's own inactivity timer stays as a backstop, well behind the deadline.
      socketTimeoutMs: 2 * this.deadline.timeoutMs,
      ...(deadline ? { onClient: (client: ImapFlow) => deadline.attach(client) } : {}),
    });
  }

  /**
   * Selects `folder` (EXAMINE when read-only) unless it is the selected one,
   * then refuses to go on when its UIDVALIDITY is not the one its ids came
   * from (a reconnect is a new SELECT: the server may have renumbered).
   */
  protected async open(client: ImapFlow, folder: FolderRef): Promise<void> {
    await this.select(client, folder.name);
    const now = client.mailbox ? (client.mailbox.uidValidity?.toString() ?? '') : '';
    if (now === '' || now !== folder.uidValidity) throw new UidValidityChangedError(folder.name, folder.uidValidity, now);
  }

  /** Selects `folder` (EXAMINE when read-only) unless it is the selected one: for requests that use no ids. */
  protected async select(client: ImapFlow, folder: string): Promise<void> {
    const path = this.serverPath(client, folder);
    if (!client.mailbox || client.mailbox.path !== path) await openMailbox(client, path, { readOnly: this.readOnly });
  }

  protected serverPath(client: ImapFlow, folder: string): string {
    return serverFolderPath(this.nameTransBack(folder), folderLayout(client));
  }

  /**
   * Runs `work` after the calls before it, on a live connection, under a
   * deadline (see CallDeadline), with errors typed. A connection that failed
   * or stalled is closed: the next call opens a new one. `quietAllowed`: the
   * work waits for the server to speak (IDLE), so only the connection and the
   * login are under the deadline.
   */
  protected run<T>(operation: string, folder: string | undefined, work: (client: ImapFlow) => Promise<T>, quietAllowed = false): Promise<T> {
    const result = this.queue.then(async () => {
      const deadline = new CallDeadline(this.deadline, (stall) => this.log?.warn({ operation, folder, ...stall }, 'imap call stalled; closing the connection'));
      let client: ImapFlow | undefined;
      try {
        client = await this.connection(deadline);
        if (quietAllowed) deadline.stop();
        else deadline.attach(client);
        return await work(client);
      } catch (error) {
        const context = { account: this.account, operation, ...(folder !== undefined ? { folder } : {}), connectionLost: client !== undefined && !client.usable };
        const mapped = deadline.stall ? this.stallError(deadline.stall, operation, folder, error) : toImapfwError(error, context);
        if (mapped instanceof NetworkError && client) {
          this.log?.warn({ err: mapped }, 'imap connection lost; the next call reconnects');
          if (this.session === client) this.session = undefined;
          client.close();
        }
        throw mapped;
      } finally {
        deadline.stop();
      }
    });
    this.queue = result.catch(() => undefined);
    return result;
  }

  private stallError(stall: Stall, operation: string, folder: string | undefined, cause: unknown): StallError {
    const where = folder === undefined ? this.account : `"${folder}" on ${this.account}`;
    return new StallError(
      `${operation} in ${where} stalled, ${describeStall(stall)}; the connection was closed. ` +
        `Run again later; if the server is only slow, raise --timeout (now ${Math.round(this.deadline.timeoutMs / 1000)} s)`,
      { cause },
    );
  }

  private draft(draft: string): { folder: string; message: NewMessageMeta; body: Buffer; length: number } {
    const entry = this.drafts.get(draft);
    if (!entry) throw new StoreError(`no message is being stored as draft ${draft} (finished or abandoned already)`);
    return entry;
  }

  private refuseIfReadOnly(operation: string): void {
    if (this.readOnly) throw new ReadOnlyError(`${operation} on ${this.account}`);
  }

  /** imapflow answers some refusals with `false` instead of throwing. */
  private expectDone(client: ImapFlow, answer: unknown, what: string, folder: string): void {
    if (answer) return;
    if (!client.usable) throw new NetworkError(`connection to ${this.account} lost while ${what} in "${folder}"`);
    const refusal = takeRefusal(client);
    throw new StoreError(`${what} in "${folder}" on ${this.account} was refused by the server${refusal ? `: ${refusal}` : ''}`);
  }

  /** Those of `uids` that still exist in the selected folder (`UID SEARCH UID set`). */
  private async stillThere(client: ImapFlow, uids: number[]): Promise<number[]> {
    const asked = new Set(uids);
    const found: number[] = [];
    for (const set of uidSets(uids)) {
      const answer = await client.search({ uid: set }, { uid: true });
      if (!Array.isArray(answer)) throw new StoreError(`UID SEARCH in "${client.mailbox ? client.mailbox.path : ''}" on ${this.account} was refused`);
      found.push(...answer.filter((uid) => asked.has(uid)));
    }
    return found;
  }

  /**
   * Marks `uids` \Deleted and expunges them, in the selected folder.
   *
   * Without UIDPLUS there is only a plain EXPUNGE, which removes every
   * \Deleted message of the folder, also those another client marked and
   * means to keep until it expunges (or undeletes) them. mbsync sends it
   * anyway ("inherently racy"); refusing instead left a moved message in
   * both folders on every run. So, as RFC 4315 suggests: the others are
   * undeleted for the EXPUNGE and marked again right after it. A message
   * another client marks in between is expunged with ours (the window is
   * the EXPUNGE itself: the folder is searched again just before it); a
   * run that dies in between leaves the others undeleted, shown again but
   * never lost.
   */
  private async expungeUids(client: ImapFlow, uids: number[], folder: string): Promise<void> {
    if (!client.capabilities.has('UIDPLUS')) return this.expungeAlone(client, uids, folder);
    for (const set of uidSets(uids)) this.expectDone(client, await client.messageDelete(set, { uid: true }), 'deleting', folder);
  }

  /** expungeUids without UIDPLUS: the others marked \Deleted are undeleted around a plain EXPUNGE. */
  private async expungeAlone(client: ImapFlow, uids: number[], folder: string): Promise<void> {
    const ours = new Set(uids);
    await this.changeDeleted(client, 'add', uids, 'marking \\Deleted', folder);
    const undeleted = new Set<number>();
    try {
      for (let round = 0; ; round++) {
        const others = (await this.markedDeleted(client, folder)).filter((uid) => !ours.has(uid));
        if (others.length === 0) break;
        if (round === UNDELETE_ROUNDS) {
          throw new StoreError(
            `cannot delete from "${folder}" on ${this.account}: the server has no UIDPLUS, so only a plain EXPUNGE is possible, ` +
              `and other clients keep marking messages \\Deleted there (UIDs ${uidSets(others).join(',')}), which it would remove too. Run again later.`,
          );
        }
        await this.changeDeleted(client, 'remove', others, 'undeleting other messages for the EXPUNGE', folder);
        for (const uid of others) undeleted.add(uid);
      }
      // \Deleted is already set: imapflow sets it again and sends a plain EXPUNGE.
      this.expectDone(client, await client.messageDelete(uidSets(uids)[0]!, { uid: true }), 'expunging', folder);
    } finally {
      // One expunged meanwhile by another client is skipped by the STORE.
      if (undeleted.size && client.usable) await this.changeDeleted(client, 'add', [...undeleted], 'marking other messages \\Deleted again', folder);
    }
  }

  private async changeDeleted(client: ImapFlow, change: 'add' | 'remove', uids: number[], what: string, folder: string): Promise<void> {
    for (const set of uidSets(uids)) {
      const answer = change === 'add' ? await client.messageFlagsAdd(set, ['\\Deleted'], { uid: true, silent: true }) : await client.messageFlagsRemove(set, ['\\Deleted'], { uid: true, silent: true });
      this.expectDone(client, answer, what, folder);
    }
  }

  /** The UIDs marked \Deleted in the selected folder. */
  private async markedDeleted(client: ImapFlow, folder: string): Promise<number[]> {
    const marked = await client.search({ deleted: true }, { uid: true });
    if (!Array.isArray(marked)) throw new StoreError(`UID SEARCH DELETED in "${folder}" on ${this.account} was refused`);
    return marked;
  }
}

/** A draft's buffer is allocated at most this large up front, whatever size its source announced (it grows past it). */
const MAX_DRAFT_PREALLOCATION = 1 << 30;

/** Why a FETCH answer's body cannot be used, or undefined when it can. */
function bodyProblem(source: Buffer | undefined, size: number | undefined): string | undefined {
  if (!source) return 'the server sent no body (NIL)';
  if (source.byteLength === 0) return 'the server sent an empty body';
  if (size !== undefined && source.byteLength < size) return `the server sent ${source.byteLength} of its ${size} bytes (RFC822.SIZE)`;
  return undefined;
}

function folderLayout(client: ImapFlow): FolderLayout {
  return { delimiter: client.namespace?.delimiter ?? '/', prefix: client.namespace?.prefix ?? '' };
}
