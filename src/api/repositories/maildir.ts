import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, realpathSync, renameSync } from 'node:fs';
import { open, readdir, realpath, rename, rmdir, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { checkpointStamps, decodeCheckpoint, encodeCheckpoint, isSettled, msUntilSettled, sameStamp } from '../../core/maildir/checkpoint.js';
import { deliver, DraftFile } from '../../core/maildir/deliver.js';
import { formatFileName, parseFileName, sizeFromId, sortLetters } from '../../core/maildir/file-name.js';
import { isStorableKeyword, isSystemFlag, systemFlagLetter } from '../../core/maildir/flags.js';
import { FolderChanges } from '../../core/maildir/folder-changes.js';
import { INBOX, folderPathSegments, pathInsideRoot } from '../../core/maildir/folder-names.js';
import { fsyncDir } from '../../core/maildir/fsync-dir.js';
import type { ForeignEntry } from '../../core/maildir/foreign-entry.js';
import { ensureKeywords, KEYWORDS_FILE, MAX_KEYWORDS, readKeywords, type KeywordTable } from '../../core/maildir/keywords.js';
import { MESSAGE_DIRS, hasCur, listFolderDirs, type MisnamedFolderDir } from '../../core/maildir/list-folders.js';
import { checkMaildirRoot } from '../../core/maildir/maildir-root.js';
import { listMessageFiles, type MessageFile } from '../../core/maildir/list-messages.js';
import { mapLimit } from '../../core/maildir/map-limit.js';
import { mbsyncStateFile, readMbsyncRecord } from '../../core/maildir/mbsync-state.js';
import { refusedRecord } from '../../core/maildir/prior-record.js';
import { MessageFinder } from '../../core/maildir/message-finder.js';
import { internalDateOf, messageMeta, readFileStamp, type FileStamp } from '../../core/maildir/message-meta.js';
import { readInChunks } from '../../core/maildir/read-in-chunks.js';
import { removeStaleTmpFiles } from '../../core/maildir/tmp-cleanup.js';
import { readOrCreateUidValidity, UID_VALIDITY_FILE } from '../../core/maildir/uid-validity.js';
import { IdentityBuilder } from '../../core/identity.js';
import { ownBuffer } from '../../core/own-buffer.js';
import { modifiedUtf7Name } from '../../core/maildir/utf7-names.js';
import { ConfigError, FolderNameError, FolderNotFoundError, ImapfwError, MessagesUnavailableError, NoSpaceError, PartialStoreError, StoreError, UidValidityChangedError } from '../errors.js';
import type {
  FetchedMessage,
  FlagDelta,
  FolderInfo,
  FolderRef,
  IdentifiedMessage,
  MessageId,
  MessageMeta,
  NewMessage,
  NewMessageMeta,
  PriorSync,
  RefusedFlag,
  Repository,
  ScanOptions,
  ScanResult,
} from '../types.js';
import { resolveMaildirOptions, type MaildirOptions, type MaildirWarning, type ResolvedMaildirOptions } from './maildir-options.js';
import { makeDirs } from '../../core/make-dirs.js';

export type { MaildirLayout, MaildirOptions, MaildirWarning } from './maildir-options.js';

/** Parallel stat calls in a full scan. */
const STAT_PARALLELISM = 32;
/** Parallel message reads or writes in a batch. */
const FILE_PARALLELISM = 4;
/** A listing changing under a full scan is redone this many times at most. */
const SCAN_ATTEMPTS = 3;
/**
 * The longest a scan after this run's writes waits for its stamps to settle. A tick on file systems with nanosecond
 * mtimes is covered; on one with whole seconds the checkpoint stays unsettled (the next run lists the folder) rather
 * than every written folder waiting two seconds.
 */
const SETTLE_WAIT_MAX_MS = 25;
/** Folder listings kept to find messages by id without listing again (one per engine writing at once)... */
const LISTINGS_KEPT = 4;
/**
 * ...and files in them, about 250 bytes each: the oldest folders' go first, so
 * that memory does not grow with the mailbox (the last folder's is always
 * kept). A folder whose listing went is listed again when a lookup needs it.
 */
const LISTED_FILES_KEPT = 20_000;
/** Folders whose file stamps are kept for a rescan (see `stamps`)... */
const STAMPS_KEPT = 16;
/**
 * ...and files, about 150 bytes each: the oldest folders' go first, so that
 * memory does not grow with the mailbox (the last folder's are always kept).
 */
const STAMPED_FILES_KEPT = 40_000;
const WARNINGS_KEPT = 1000;
/** Files of a folder directory that go with it when it is deleted. */
const FOLDER_OWN_FILES = [KEYWORDS_FILE, UID_VALIDITY_FILE, 'maildirfolder'];
// O_NOFOLLOW: a symlink planted in cur/ must not make us read (and upload) a file outside the Maildir.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0);
const RETRYABLE_CODES = new Set(['EAGAIN', 'EBUSY', 'EMFILE', 'ENFILE', 'EINTR']);
/** The file system is full, over quota or read-only: every later write fails the same way (NoSpaceError). */
const NO_SPACE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS']);
const NO_LETTER = 'a system flag with no Maildir letter';
const NOT_AN_ATOM = 'not an IMAP atom: no dovecot-keywords line can hold it';
const NO_ROOM = `all ${MAX_KEYWORDS} keyword letters (a-z) of the folder's dovecot-keywords are taken by other keywords`;

/** Runs `use` on the message file opened for reading (synchronously: see readInChunks), and closes it. */
function withMessageFile<T>(dir: string, file: MessageFile, use: (fd: number) => T): T {
  const fd = openSync(join(dir, file.subdir, file.name), READ_FLAGS);
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A Maildir as a Repository (DESIGN §3): Maildir++ or nested layout, flags
 * in file names, keywords through dovecot-keywords, deliveries through tmp/.
 * Message ids are unique names (the file name before ':2,').
 *
 * Subclass it to adapt a store: folderFilter, nameTrans/nameTransBack (as
 * offlineimap users know them) and warn are the hooks.
 */
export class MaildirRepository implements Repository {
  protected readonly options: ResolvedMaildirOptions;
  private rootRealPath: string | undefined;
  private readonly listings = new Map<string, Map<string, MessageFile>>();
  /** Files written into a folder's kept listing since the folder was listed (see addToListing). */
  private readonly writtenSinceListed = new Map<string, number>();
  /**
   * Per folder, the size and mtime of each file seen by its last scan, by
   * file name: a Maildir message never changes while it keeps its name, so
   * a rescan in the same run (after our writes, for moves) stats only the
   * files it has not seen.
   */
  private readonly stamps = new Map<string, Map<string, FileStamp>>();
  /**
   * Per folder, the sizes of the messages whose names state none, by unique
   * name, as the last scan found them: a rescan without a checkpoint (after
   * our writes) reads them from here. Kept as `stamps` are.
   */
  private readonly sizes = new Map<string, Map<string, number>>();
  private readonly tmpCleaned = new Set<string>();
  /** Messages being stored in parts (beginStore), by draft id. */
  private readonly drafts = new Map<string, { folder: string; dir: string; file: DraftFile; letters: string; internalDate: number }>();
  private lastDraft = 0;
  private readonly reportedPaths = new Set<string>();
  private warnings: MaildirWarning[] = [];
  private folderChanges: FolderChanges | undefined;

  constructor(options: MaildirOptions) {
    this.options = resolveMaildirOptions(options);
  }

  // ---- Hooks -------------------------------------------------------------

  /** Whether listFolders reports a folder, given its name as stored here (before nameTrans). Default: every folder. */
  protected folderFilter(_localName: string): boolean {
    return true;
  }

  /** The name reported for a folder stored here as `localName`. Must be the inverse of nameTransBack. Default: the same. */
  protected nameTrans(localName: string): string {
    return localName;
  }

  /** The name under which the folder the caller calls `name` is stored here. Default: the same. */
  protected nameTransBack(name: string): string {
    return name;
  }

  /** Receives each warning; by default keeps it (the first 1000) for takeWarnings(). */
  protected warn(warning: MaildirWarning): void {
    if (this.warnings.length < WARNINGS_KEPT) this.warnings.push(warning);
  }

  /** The warnings collected since the last call (foreign files, refused flags). */
  takeWarnings(): MaildirWarning[] {
    const taken = this.warnings;
    this.warnings = [];
    return taken;
  }

  /** A Maildir opens nothing ahead. */
  async connect(): Promise<void> {}

  /** A Maildir's listing gives no status. */
  async listedUnchanged(): Promise<boolean> {
    return false;
  }

  async listedKept(): Promise<boolean> {
    return false;
  }

  // ---- Folders -------------------------------------------------------------

  async listFolders(): Promise<FolderInfo[]> {
    return this.run('list folders', undefined, async () => {
      await this.ensureRoot();
      const { folders, misnamed, foreign } = await listFolderDirs(this.options.root, this.options.layout, this.options.inbox);
      this.reportForeign(foreign);
      this.refuseUtf7Names(misnamed);
      const listed: FolderInfo[] = folders
        .filter((f) => this.folderFilter(f.name))
        .sort((a, b) => (a.name === INBOX ? -1 : b.name === INBOX ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
        .map((f) => ({ name: this.nameTrans(f.name) }));
      // Mail in a directory named by another tool is listed as skipped, with what to do: never passed over in silence.
      return [...listed, ...misnamed.map((entry) => ({ name: entry.dir, skipped: this.misnamedReason(entry) }))];
    });
  }

  /** Creates the folder and any missing parent folder; an existing folder is left as it is. */
  async createFolder(name: string): Promise<void> {
    return this.run('create folder', name, async () => {
      await this.ensureRoot();
      const levels = this.nameTransBack(name).split('/');
      for (let depth = 1; depth <= levels.length; depth++) {
        const localName = levels.slice(0, depth).join('/');
        const reads = await modifiedUtf7Name(localName);
        if (reads !== undefined) throw new FolderNameError(name, `its directory would read as another tool's name for "${reads}" (modified UTF-7); rename it where it comes from, or leave it out (--exclude)`);
        this.folderChanges?.ownFolder(localName);
        if (localName !== INBOX) await this.makeFolderDir(this.dirOf(localName));
      }
    });
  }

  /** Deletes an empty folder (its sub-folders stay). Refuses INBOX and a folder holding messages. */
  async deleteFolder(name: string): Promise<void> {
    return this.run('delete folder', name, async () => {
      if (this.nameTransBack(name) === INBOX) throw new StoreError(`INBOX cannot be deleted: it is the Maildir ${this.options.inbox === undefined ? 'root' : `directory ${this.options.inbox}/`}`);
      const dir = await this.folderDir(name);
      await removeStaleTmpFiles(join(dir, 'tmp')).catch(ignoreCode('ENOENT'));
      let files = 0;
      for (const sub of MESSAGE_DIRS) files += ((await readdir(join(dir, sub)).catch(ignoreCode('ENOENT'))) ?? []).length;
      if (files > 0) {
        throw new StoreError(`folder "${name}" is not empty (${files} files in cur/, new/ or tmp/): delete its messages first`);
      }
      // cur/ first: from then on the directory is no longer a folder, whatever happens next.
      for (const sub of ['cur', 'new', 'tmp']) await rmdir(join(dir, sub)).catch(ignoreCode('ENOENT'));
      for (const file of FOLDER_OWN_FILES) await unlink(join(dir, file)).catch(ignoreCode('ENOENT'));
      // Sub-folders (nested layout) and foreign files keep the directory.
      const removed = await rmdir(dir).then(
        () => true,
        ignoreCode('ENOTEMPTY', 'EEXIST'),
      );
      // Nested: parents left holding nothing (a folder whose sub-folder went before it) go too, up to the root.
      let parent = dirname(dir);
      while (removed && parent.startsWith(this.options.root + sep) && (await rmdir(parent).then(() => true, ignoreCode('ENOTEMPTY', 'EEXIST')))) parent = dirname(parent);
      if (this.options.fsync) await fsyncDir(parent);
      this.listings.delete(dir);
      this.stamps.delete(dir);
      this.sizes.delete(dir);
    });
  }

  // ---- Messages ------------------------------------------------------------

  /**
   * Lists the folder, or answers 'unchanged' from the mtimes of cur/ and
   * new/ alone when they match a settled checkpoint (see checkpoint.ts),
   * with the checkpoint's message count as EXISTS. Never returns 'changes'.
   */
  async scan(folder: string, checkpoint?: string, options?: ScanOptions): Promise<ScanResult> {
    return this.run('scan', folder, async () => {
      const dir = await this.folderDir(folder);
      const uidValidity = await readOrCreateUidValidity(dir, { fsync: this.options.fsync, create: this.writes() });
      const previous = checkpoint === undefined ? undefined : decodeCheckpoint(checkpoint);
      let stamps = await checkpointStamps(dir);
      const settleWait = options?.afterWrites ? msUntilSettled([stamps.cur, stamps.new], Date.now()) : 0;
      if (settleWait > 0 && settleWait <= SETTLE_WAIT_MAX_MS) {
        await sleep(settleWait);
        stamps = await checkpointStamps(dir);
      }
      if (previous?.settled && previous.uidValidity === uidValidity && sameStamp(previous.cur, stamps.cur) && sameStamp(previous.new, stamps.new)) {
        const exists = previous.messages === undefined ? {} : { exists: previous.messages };
        // The text as it came: it decodes to `previous` again (re-encoding a folder's learned sizes cost more than the check).
        return { status: { uidValidity, ...exists }, checkpoint: checkpoint!, kind: 'unchanged', messages: [], vanished: [] };
      }
      // The sizes learned before, of messages whose names state none: the previous run's (its checkpoint), then this run's.
      const learned = new Map([...Object.entries(previous?.uidValidity === uidValidity ? (previous.sizes ?? {}) : {}), ...(this.sizes.get(dir) ?? [])]);
      // The listing this scan makes replaces the kept one: let that go first, so that a big folder is not held twice.
      this.listings.delete(dir);
      for (let attempt = 1; ; attempt++) {
        const listing = await listMessageFiles(dir);
        const keywords = await readKeywords(dir);
        const known = this.stamps.get(dir);
        const seen = new Map<string, FileStamp>();
        const sizes = new Map<string, number>();
        // A file is lstat'ed only when its name states no size (ours, Dovecot's and many delivery agents' do) and no
        // earlier scan learned it, or the dates are wanted; one gone since the listing changed its directory's mtime,
        // which the check below sees.
        const files = [...listing.files.values()];
        const metas = new Array<MessageMeta | undefined>(files.length).fill(undefined);
        // The files whose size is known are done at once, without a wait each (a folder has thousands); the others are lstat'ed.
        const toStat: { index: number; named: number | undefined }[] = [];
        files.forEach((file, index) => {
          const named = sizeFromId(file.id);
          const size = named ?? learned.get(file.id);
          if (size === undefined || options?.internalDates) return void toStat.push({ index, named });
          if (named === undefined) sizes.set(file.id, size);
          metas[index] = messageMeta(file, keywords, size);
        });
        await mapLimit(toStat, STAT_PARALLELISM, async ({ index, named }) => {
          const file = files[index]!;
          const key = `${file.subdir}/${file.name}`;
          const stamp = known?.get(key) ?? (await readFileStamp(dir, file).catch(ignoreCode('ENOENT')));
          if (!stamp) return;
          seen.set(key, stamp);
          if (named === undefined) sizes.set(file.id, stamp.bytes);
          metas[index] = messageMeta(file, keywords, named ?? stamp.bytes, stamp);
        });
        const after = await checkpointStamps(dir);
        // A file gone or a directory changed while listing: list again, or at least do not trust this stamp.
        const stable = metas.every((m) => m !== undefined) && sameStamp(stamps.cur, after.cur) && sameStamp(stamps.new, after.new);
        if (stable || attempt === SCAN_ATTEMPTS) {
          this.keepListing(dir, listing.files);
          this.keepPerFolder(this.stamps, dir, seen);
          this.keepPerFolder(this.sizes, dir, sizes);
          this.reportForeign(listing.foreign, folder);
          const messages = metas.filter((m): m is MessageMeta => m !== undefined);
          const settled = stable && isSettled([stamps.cur, stamps.new], Date.now());
          return {
            status: { uidValidity, exists: messages.length },
            checkpoint: encodeCheckpoint({ v: 1, uidValidity, cur: stamps.cur, new: stamps.new, settled, messages: messages.length, ...(sizes.size ? { sizes: Object.fromEntries(sizes) } : {}) }),
            kind: 'full',
            messages,
            vanished: [],
          };
        }
        stamps = after;
      }
    });
  }

  /**
   * False in a subclass that must write nothing (a dry run): a folder never
   * scanned then reports a provisional uidValidity, and reserveFlags
   * answers without giving any keyword a letter.
   */
  protected writes(): boolean {
    return true;
  }

  /**
   * Identities of the messages, each file streamed, with their dates (file
   * mtimes, which a listing does not read); ids no longer in the folder are
   * left out.
   */
  async identify(folder: FolderRef, ids: MessageId[]): Promise<IdentifiedMessage[]> {
    return this.run('identify', folder.name, async () => {
      const dir = await this.folderDirUnder(folder);
      const finder = this.finder(dir, folder.name);
      const found = await mapLimit(ids, FILE_PARALLELISM, (id) =>
        finder.withFile(id, async (file) =>
          withMessageFile(dir, file, (fd): IdentifiedMessage => {
            const builder = new IdentityBuilder();
            // A Message-ID in the header is the identity: the rest of the file is not read.
            readInChunks(fd, (chunk) => {
              builder.update(chunk);
              return !builder.decided;
            });
            return { id, ...builder.digest(), internalDate: internalDateOf(fstatSync(fd, { bigint: true })) };
          }),
        ),
      );
      return found.filter((m): m is IdentifiedMessage => m !== undefined);
    });
  }

  /** Bodies (each its own ArrayBuffer, ready to transfer), flags and INTERNALDATE; ids no longer in the folder are left out. */
  async fetch(folder: FolderRef, ids: MessageId[]): Promise<FetchedMessage[]> {
    return this.run('fetch', folder.name, async () => {
      const dir = await this.folderDirUnder(folder);
      const keywords = await readKeywords(dir);
      const finder = this.finder(dir, folder.name);
      const found = await mapLimit(ids, FILE_PARALLELISM, (id) =>
        finder.withFile(id, async (file) =>
          withMessageFile(dir, file, (fd) => {
            const stats = fstatSync(fd, { bigint: true });
            const body = ownBuffer(readFileSync(fd));
            const flags = keywords.flagsOf(file.letters);
            return { id, body, flags, internalDate: internalDateOf(stats) };
          }),
        ),
      );
      return found.filter((m): m is FetchedMessage => m !== undefined);
    });
  }

  /** Up to `length` bytes of a message file from `offset`. */
  async fetchPart(folder: FolderRef, id: MessageId, offset: number, length: number): Promise<Uint8Array> {
    return this.run('fetch', folder.name, async () => {
      const dir = await this.folderDirUnder(folder);
      const part = await this.finder(dir, folder.name).withFile(id, async (file) =>
        withMessageFile(dir, file, (fd) => {
          const buffer = Buffer.allocUnsafe(length);
          const bytesRead = readSync(fd, buffer, 0, length, offset);
          return ownBuffer(buffer.subarray(0, bytesRead));
        }),
      );
      if (!part) throw new MessagesUnavailableError(folder.name, [{ id, reason: 'it is no longer in the folder' }]);
      return part;
    });
  }

  /** A draft in the folder's tmp/ (see Repository.beginStore); flags it cannot hold are left out and reported through warn(). */
  async beginStore(folder: string, message: NewMessageMeta): Promise<string> {
    return this.run('store', folder, async () => {
      const dir = await this.folderDir(folder);
      await this.prepareTmp(dir);
      const keywords = await this.keywordsFor(folder, dir, message.flags);
      const letters = sortLetters(message.flags.map((flag) => letterOf(flag, keywords)).filter((l): l is string => l !== undefined));
      const draft = String(++this.lastDraft);
      this.drafts.set(draft, { folder, dir, file: await DraftFile.create(dir), letters, internalDate: validDate(message.internalDate) });
      return draft;
    });
  }

  async storePart(draft: string, part: Uint8Array): Promise<void> {
    const entry = this.draft(draft);
    await this.run('store', entry.folder, () => entry.file.write(part));
  }

  /** Renames the draft into cur/, durable when it returns. */
  async finishStore(draft: string): Promise<MessageId> {
    const { folder, dir, file, letters, internalDate } = this.draft(draft);
    this.drafts.delete(draft);
    return this.run('store', folder, async () => {
      let name: string;
      try {
        name = await file.deliver(letters, internalDate, { fsync: this.options.fsync });
      } catch (error) {
        await file.discard();
        throw error;
      }
      this.folderChanges?.ownWrites(this.nameTransBack(folder), [name]);
      if (this.options.fsync) await fsyncDir(join(dir, 'cur'));
      const stored = cachedFile(name);
      this.addToListing(dir, [stored]);
      return stored.id;
    });
  }

  async abandonStore(draft: string): Promise<void> {
    const entry = this.drafts.get(draft);
    this.drafts.delete(draft);
    await entry?.file.discard();
  }

  /**
   * Delivers the messages (tmp/ -> fsync -> cur/, mtime = INTERNALDATE) and
   * returns their ids once durable. Flags the Maildir cannot hold are left
   * out and reported through warn().
   */
  async store(folder: string, messages: NewMessage[]): Promise<MessageId[]> {
    return this.run('store', folder, async () => {
      const dir = await this.folderDir(folder);
      await this.prepareTmp(dir);
      const keywords = await this.keywordsFor(folder, dir, messages.flatMap((m) => m.flags));
      const outcomes = await mapLimit(messages, FILE_PARALLELISM, async (message) => {
        const letters = message.flags.map((flag) => letterOf(flag, keywords)).filter((l): l is string => l !== undefined);
        try {
          const delivery = { body: message.body, letters: sortLetters(letters), internalDate: validDate(message.internalDate), size: message.size };
          const name = await deliver(dir, delivery, { fsync: this.options.fsync });
          this.folderChanges?.ownWrites(this.nameTransBack(folder), [name]);
          return { name };
        } catch (error) {
          return { error };
        }
      });
      // Whatever failed, what was delivered is made durable.
      if (this.options.fsync) await fsyncDir(join(dir, 'cur'));
      const delivered = outcomes.map((outcome) => (outcome.name === undefined ? undefined : cachedFile(outcome.name)));
      this.addToListing(dir, delivered.filter((file) => file !== undefined));
      const ids = delivered.map((file) => file?.id ?? null);
      const failures = outcomes.flatMap((outcome, index) => ('error' in outcome ? [{ index, reason: describeError(outcome.error) }] : []));
      const full = outcomes.find((outcome) => 'error' in outcome && NO_SPACE_CODES.has((outcome.error as NodeJS.ErrnoException).code ?? ''));
      if (failures.length > 0) throw new PartialStoreError(folder, ids, failures, full && 'error' in full ? this.noSpace(full.error) : undefined);
      return ids as MessageId[];
    });
  }

  /** Applies +add/-remove deltas by renaming files (a message in new/ moves to cur/); a message gone meanwhile is skipped. */
  async setFlags(folder: FolderRef, deltas: FlagDelta[]): Promise<void> {
    return this.run('set flags', folder.name, async () => {
      const dir = await this.folderDirUnder(folder);
      const keywords = await this.keywordsFor(folder.name, dir, deltas.flatMap((d) => d.add));
      const finder = this.finder(dir, folder.name);
      const touched = new Set<string>();
      await mapLimit(deltas, FILE_PARALLELISM, (delta) =>
        finder.withFile(delta.id, async (file) => {
          const letters = new Set(file.letters);
          for (const flag of delta.remove) letters.delete(letterOf(flag, keywords) ?? '');
          for (const flag of delta.add) {
            const letter = letterOf(flag, keywords);
            if (letter) letters.add(letter);
          }
          if (sortLetters(letters) === sortLetters(file.letters)) return;
          const name = formatFileName(file.id, letters);
          this.folderChanges?.ownWrites(this.nameTransBack(folder.name), [file.name, name]);
          renameSync(join(dir, file.subdir, file.name), join(dir, 'cur', name));
          touched.add(file.subdir).add('cur');
          finder.update(file.id, { id: file.id, subdir: 'cur', name, letters: sortLetters(letters) });
        }),
      );
      if (this.options.fsync) for (const sub of touched) await fsyncDir(join(dir, sub));
    });
  }

  /**
   * Gives a dovecot-keywords letter to each keyword of `flags` that has
   * none, in the order given, while letters are free (keywords already in
   * the file keep theirs: a letter is never reused, since other clients and
   * existing file names rely on it); returns the flags the folder cannot
   * hold: keywords past the 26 letters, flags no letter or line can carry.
   * The engine asks before planning, the most used keywords first, so the
   * same keywords win on every run.
   */
  async reserveFlags(folder: string, flags: string[]): Promise<RefusedFlag[]> {
    return this.run('reserve flags', folder, async () => (await this.makeRoom(await this.folderDir(folder), flags)).refused);
  }

  /** Unlinks the messages; one already gone is not an error. */
  async delete(folder: FolderRef, ids: MessageId[]): Promise<void> {
    return this.run('delete', folder.name, async () => {
      const dir = await this.folderDirUnder(folder);
      const finder = this.finder(dir, folder.name);
      const touched = new Set<string>();
      await mapLimit(ids, FILE_PARALLELISM, (id) =>
        finder.withFile(id, async (file) => {
          this.folderChanges?.ownWrites(this.nameTransBack(folder.name), [file.name]);
          await unlink(join(dir, file.subdir, file.name));
          touched.add(file.subdir);
          finder.update(id, undefined);
        }),
      );
      if (this.options.fsync) for (const sub of touched) await fsyncDir(join(dir, sub));
    });
  }

  /**
   * Moves messages to another folder of this Maildir by renaming their files
   * (one atomic rename each, the unique name kept: the ids stay the same).
   * Keywords are mapped to the target's dovecot-keywords letters. Returns the
   * ids in the order of `ids`; a message missing from the source is a
   * StoreError once the others are moved, as ImapRepository.move does.
   */
  async move(source: FolderRef, toFolder: string, ids: MessageId[]): Promise<MessageId[]> {
    const fromFolder = source.name;
    return this.run('move', fromFolder, async () => {
      const from = await this.folderDirUnder(source);
      const to = await this.folderDir(toFolder);
      if (from === to) return [...ids];
      const sourceKeywords = await readKeywords(from);
      const finder = this.finder(from, fromFolder);
      const movedFiles: MessageFile[] = [];
      const missing: MessageId[] = [];
      const touched = new Set<string>();
      for (const id of ids) {
        const moved = await finder.withFile(id, async (file) => {
          const flags = sourceKeywords.flagsOf(file.letters);
          const keywords = await this.keywordsFor(toFolder, to, flags);
          const letters = flags.map((flag) => letterOf(flag, keywords)).filter((l): l is string => l !== undefined);
          const name = formatFileName(file.id, letters);
          this.folderChanges?.ownWrites(this.nameTransBack(fromFolder), [file.name]);
          this.folderChanges?.ownWrites(this.nameTransBack(toFolder), [name]);
          await rename(join(from, file.subdir, file.name), join(to, 'cur', name));
          touched.add(file.subdir);
          finder.update(id, undefined);
          movedFiles.push({ id, subdir: 'cur', name, letters: sortLetters(letters) });
          return true;
        });
        if (!moved) missing.push(id);
      }
      this.addToListing(to, movedFiles);
      if (this.options.fsync) {
        await fsyncDir(join(to, 'cur'));
        for (const sub of touched) await fsyncDir(join(from, sub));
      }
      if (missing.length) throw new StoreError(`move from folder "${fromFolder}": ${missing.length} message(s) no longer existed (${missing.slice(0, 5).join(', ')})`);
      return [...ids];
    });
  }

  /**
   * The record of the folder's last sync another tool kept: offlineimap's
   * when the options name its state, else mbsync's, in the `mbsyncState`
   * directory when the options name one, else in the folder (`.mbsyncstate`,
   * `SyncState *`).
   */
  async priorSync(folder: FolderRef, ids: MessageId[], serverUidValidity: string): Promise<PriorSync | undefined> {
    return this.run('priorSync', folder.name, async () => {
      const dir = await this.folderDirUnder(folder);
      if (this.options.offlineimapState !== undefined) {
        // Loaded here only: it loads the SQLite driver.
        const { readOfflineimapRecord } = await import('../../core/maildir/offlineimap-state.js');
        return readOfflineimapRecord(this.options.offlineimapState, folder.name, ids, serverUidValidity);
      }
      const stateDir = this.options.mbsyncState;
      if (stateDir === undefined) return readMbsyncRecord(dir, ids);
      const file = mbsyncStateFile(stateDir, folder.name);
      if (typeof file === 'object') return refusedRecord('mbsync', `${stateDir} holds several records of it (${file.several.join(', ')})`);
      return file === undefined ? undefined : readMbsyncRecord(dir, ids, file);
    });
  }

  /**
   * For a daemon: the folders whose messages changed here since the last
   * call (names as listFolders reports them), heard from the kernel (see
   * FolderChanges); waits up to `waitMs` for the first change.
   */
  async changes(waitMs: number): Promise<string[]> {
    await this.ensureRoot();
    this.folderChanges ??= new FolderChanges(this.options.root, this.options.layout, this.options.inbox);
    const folders = await this.folderChanges.next(waitMs);
    return folders.filter((folder) => this.folderFilter(folder)).map((folder) => this.nameTrans(folder));
  }

  /** Ends a `changes` wait in progress at once. */
  async interruptChanges(): Promise<void> {
    this.folderChanges?.wake();
  }

  async close(): Promise<void> {
    this.folderChanges?.close();
    this.folderChanges = undefined;
    this.listings.clear();
    this.stamps.clear();
    this.sizes.clear();
  }

  // ---- Paths ---------------------------------------------------------------

  /** The directory of an existing folder, proved to lie inside the root; FolderNotFoundError otherwise. */
  protected async folderDir(name: string): Promise<string> {
    await this.ensureRoot();
    const dir = this.dirOf(this.nameTransBack(name));
    if (!hasCur(dir)) throw new FolderNotFoundError(name);
    await this.assertReallyInside(dir);
    return dir;
  }

  /** The folder's directory, once its uidValidity is proved to be the one `folder`'s ids were listed under. */
  private async folderDirUnder(folder: FolderRef): Promise<string> {
    const dir = await this.folderDir(folder.name);
    const now = await readOrCreateUidValidity(dir, { fsync: false, create: false });
    if (now !== folder.uidValidity) throw new UidValidityChangedError(folder.name, folder.uidValidity, now);
    return dir;
  }

  private async folderExists(name: string): Promise<boolean> {
    return this.folderDir(name).then(
      () => true,
      () => false,
    );
  }

  /** The directory a folder stored here as `localName` has or would have. */
  private dirOf(localName: string): string {
    return pathInsideRoot(this.options.root, folderPathSegments(localName, this.options.layout, this.options.inbox), localName);
  }

  /**
   * Checks the real path (symlinks resolved) of `path`, or of its nearest existing parent, is inside the root.
   * Synchronous (libc's realpath, as the promise's): it runs at every operation on a folder (see hasCur).
   */
  private async assertReallyInside(path: string): Promise<void> {
    const rootReal = this.rootRealPath!;
    for (let existing = path; ; existing = dirname(existing)) {
      try {
        const real = realpathSync.native(existing);
        if (real !== rootReal && !real.startsWith(rootReal + sep)) {
          throw new StoreError(`refused to write through ${path}: it resolves to ${real}, outside the Maildir root ${rootReal}`);
        }
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || existing === dirname(existing)) throw error;
      }
    }
  }

  private async ensureRoot(): Promise<void> {
    if (this.rootRealPath !== undefined) return;
    const { root, create, inbox } = this.options;
    const inboxDir = inbox === undefined ? root : join(root, inbox);
    // A run that writes nothing (a dry run) reads the folders there are, and makes none: INBOX is then listed as missing.
    if (!hasCur(inboxDir) && this.writes()) {
      const what = inbox === undefined ? `${root} is not a Maildir (it has no cur/ directory)` : `${root} has no INBOX directory ${inbox}/ (with cur/)`;
      if (!create) throw new ConfigError(`${what}: check the "root" option, or set "create: true" to make one`);
      checkMaildirRoot(root, { layout: this.options.layout, ...(inbox !== undefined ? { inbox } : {}) });
      for (const sub of MESSAGE_DIRS) await makeDirs(join(inboxDir, sub));
    }
    this.rootRealPath = await realpath(root);
  }

  private async makeFolderDir(dir: string): Promise<void> {
    await this.assertReallyInside(dir);
    await makeDirs(dir);
    for (const sub of MESSAGE_DIRS) await makeDirs(join(dir, sub));
    // The Maildir++ marker of a sub-folder (Courier, Dovecot's quota code look for it).
    if (this.options.layout === 'maildir++') await (await open(join(dir, 'maildirfolder'), 'a')).close();
    if (this.options.fsync) {
      await fsyncDir(dir);
      await fsyncDir(dirname(dir));
    }
  }

  /** Once per folder and repository: make sure tmp/ exists and drop its stale leftovers. */
  private async prepareTmp(dir: string): Promise<void> {
    if (this.tmpCleaned.has(dir)) return;
    const tmp = join(dir, 'tmp');
    await makeDirs(tmp);
    await removeStaleTmpFiles(tmp);
    this.tmpCleaned.add(dir);
  }

  // ---- Helpers -------------------------------------------------------------

  /** The folder's keyword table with a letter for each storable keyword in `flags`; reports the flags that cannot be stored. */
  private async keywordsFor(folder: string, dir: string, flags: readonly string[]): Promise<KeywordTable> {
    const { table, refused } = await this.makeRoom(dir, flags);
    for (const { flag, reason } of refused) {
      this.warn({ code: 'flag-refused', folder, message: `flag ${JSON.stringify(flag)} cannot be kept in Maildir folder "${folder}" (${reason}): left out` });
    }
    return table;
  }

  /** The folder's keyword table with a letter for each storable keyword of `flags` while letters last, in order (none written when `writes()` is false); and the flags it cannot hold. */
  private async makeRoom(dir: string, flags: readonly string[]): Promise<{ table: KeywordTable; refused: RefusedFlag[] }> {
    const keywords: string[] = [];
    const refused: RefusedFlag[] = [];
    for (const flag of new Set(flags)) {
      if (isSystemFlag(flag)) {
        if (!systemFlagLetter(flag)) refused.push({ flag, reason: NO_LETTER });
      } else if (isStorableKeyword(flag)) keywords.push(flag);
      else refused.push({ flag, reason: NOT_AN_ATOM });
    }
    let table = await readKeywords(dir);
    if (keywords.length > 0) {
      let full: string[];
      if (this.writes()) ({ table, refused: full } = await ensureKeywords(dir, keywords, { fsync: this.options.fsync }));
      else full = table.allocate(keywords).refused;
      refused.push(...full.map((flag) => ({ flag, reason: NO_ROOM })));
    }
    return { table, refused };
  }

  private finder(dir: string, folder: string): MessageFinder {
    return new MessageFinder(dir, this.listings.get(dir), (listing) => {
      this.keepListing(dir, listing.files);
      this.reportForeign(listing.foreign, folder);
    });
  }

  /** Keeps a folder's file stamps or sizes for a rescan, within STAMPS_KEPT folders and STAMPED_FILES_KEPT files. */
  private keepPerFolder<T>(cache: Map<string, Map<string, T>>, dir: string, entries: Map<string, T>): void {
    cache.delete(dir);
    cache.set(dir, entries);
    dropOldest(cache, STAMPS_KEPT, STAMPED_FILES_KEPT);
  }

  private keepListing(dir: string, files: Map<string, MessageFile>): void {
    this.listings.delete(dir);
    this.listings.set(dir, files);
    this.writtenSinceListed.set(dir, 0);
    this.boundListings();
  }

  /**
   * Files just written to a folder go into its kept listing, if it has one.
   * Once more than LISTED_FILES_KEPT were written into it since the folder
   * was listed, the listing goes instead: a folder's first copy writes all
   * of it, and nothing may look its files up again (a lookup lists it anew,
   * at most once per LISTED_FILES_KEPT files written). A big folder's
   * listing is still kept whole for its lookups, whatever its size.
   */
  private addToListing(dir: string, files: readonly MessageFile[]): void {
    const listing = this.listings.get(dir);
    if (!listing) return;
    const written = (this.writtenSinceListed.get(dir) ?? 0) + files.length;
    if (written > LISTED_FILES_KEPT) return void this.listings.delete(dir);
    this.writtenSinceListed.set(dir, written);
    for (const file of files) listing.set(file.id, file);
    this.boundListings();
  }

  private boundListings(): void {
    dropOldest(this.listings, LISTINGS_KEPT, LISTED_FILES_KEPT);
  }

  private reportForeign(entries: readonly ForeignEntry[], folder?: string): void {
    for (const entry of entries) {
      if (this.reportedPaths.has(entry.path)) continue;
      this.reportedPaths.add(entry.path);
      this.warn({ code: 'foreign-entry', path: entry.path, message: `${entry.path}: ${entry.reason}; left untouched`, ...(folder === undefined ? {} : { folder }) });
    }
  }

  private draft(draft: string): { folder: string; dir: string; file: DraftFile; letters: string; internalDate: number } {
    const entry = this.drafts.get(draft);
    if (!entry) throw new StoreError(`no message is being stored as draft ${draft} (finished or abandoned already)`);
    return entry;
  }

  /** What a user is told when the Maildir's file system refuses to grow (NO_SPACE_CODES). */
  private noSpace(error: unknown): string {
    const remedy =
      (error as NodeJS.ErrnoException).code === 'EROFS'
        ? 'make its file system writable again (one the kernel remounted read-only after disk errors needs checking first)'
        : 'make room on its file system (or raise the quota)';
    return `the Maildir ${this.options.root} cannot take more messages (${describeError(error)}): ${remedy}, then run again; what was copied is kept`;
  }

  /**
   * Folders another tool named in modified UTF-7 end the run before any is
   * synced: read as they are, each would be a second folder beside the one
   * the server's name makes here (and `sync` would create it on the server).
   */
  private refuseUtf7Names(misnamed: readonly MisnamedFolderDir[]): void {
    const named = misnamed.filter((entry) => entry.utf7 && this.folderFilter(entry.utf7.name));
    if (named.length === 0) return;
    const renames = named.map(({ dir, utf7 }) => `${dir} -> ${utf7!.path} ("${utf7!.name}")`).join(', ');
    throw new ConfigError(
      `the Maildir ${this.options.root} has folders named in modified UTF-7, as mbsync, offlineimap and Dovecot write by default; imapfw names them in UTF-8 and would make a second folder beside each. Rename them first: ${renames}`,
    );
  }

  /** Why a directory holding mail is not read as a folder, and what to do. */
  private misnamedReason({ dir, literal, inbox, utf7 }: MisnamedFolderDir): string {
    if (inbox === 'root') {
      // The flat layout has no INBOX at the root: moving the messages is the one way there.
      const rootAgain = this.options.layout === 'flat' ? '' : ', or make the root INBOX again (no "inbox" option, --inbox)';
      return `the Maildir root's own cur/ or new/ holds mail, but INBOX is the directory ${this.options.inbox}/ here: move those messages into ${this.options.inbox}/${rootAgain}`;
    }
    if (inbox === 'directory') {
      return `the directory ${dir} holds mail, but INBOX is the Maildir root here: if it is your INBOX (mbsync's "Inbox .../${dir}"), set the Maildir's "inbox" option to "${dir}" (--inbox ${dir}), with the root's own messages moved there`;
    }
    if (utf7) return `the directory ${dir} is named in modified UTF-7 (another tool's name for "${utf7.name}"): rename it to ${utf7.path} to sync it as "${utf7.name}"`;
    const rename = literal ? `rename it to ${literal.path} to sync it as "${literal.name}", or exclude "${dir}"` : `rename it, or exclude "${dir}"`;
    return `the directory ${dir} holds mail, but its name is not one imapfw writes for a folder (another tool named it): ${rename}`;
  }

  /** Runs an operation, turning file-system errors into a StoreError that says what failed where. */
  private async run<T>(operation: string, folder: string | undefined, body: () => Promise<T>): Promise<T> {
    try {
      return await body();
    } catch (error) {
      if (error instanceof ImapfwError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      // The folder vanished under us (another client deleted it): say so, rather than report it empty.
      if (code === 'ENOENT' && folder !== undefined && !(await this.folderExists(folder))) throw new FolderNotFoundError(folder, { cause: error });
      if (code === 'ENAMETOOLONG' && folder !== undefined) throw new FolderNameError(folder, 'its path is longer than the file system allows; rename it where it comes from, or leave it out (--exclude)');
      if (code !== undefined && NO_SPACE_CODES.has(code)) throw new NoSpaceError(this.noSpace(error), { cause: error });
      const where = folder === undefined ? `Maildir ${this.options.root}` : `folder "${folder}" of Maildir ${this.options.root}`;
      throw new StoreError(`${operation} failed in ${where}: ${describeError(error)}`, { cause: error, retryable: code !== undefined && RETRYABLE_CODES.has(code) });
    }
  }
}

/** A date the file system cannot hold must not block the message forever: it gets the current time. */
function validDate(internalDate: number): number {
  return Number.isFinite(internalDate) ? internalDate : Date.now();
}

function letterOf(flag: string, keywords: KeywordTable): string | undefined {
  return isSystemFlag(flag) ? systemFlagLetter(flag) : keywords.letterOf(flag);
}

function cachedFile(name: string): MessageFile {
  const { id, letters } = parseFileName(name);
  return { id, subdir: 'cur', name, letters };
}

/** Per-folder entries kept for later: the oldest folders' go while more than `folders` folders or `entries` entries are kept; the newest stays. */
function dropOldest(cache: Map<string, { readonly size: number }>, folders: number, entries: number): void {
  let kept = 0;
  for (const folder of cache.values()) kept += folder.size;
  for (const [oldest, folder] of cache) {
    if (cache.size <= 1 || (cache.size <= folders && kept <= entries)) break;
    cache.delete(oldest);
    kept -= folder.size;
  }
}

function ignoreCode(...codes: string[]): (error: unknown) => undefined {
  return (error) => {
    if (!codes.includes((error as NodeJS.ErrnoException).code ?? '')) throw error;
    return undefined;
  };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
