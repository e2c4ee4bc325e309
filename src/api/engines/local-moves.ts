/**
 * Messages moved between folders on one side, followed on the other side by
 * a move, not by a download and an upload (the `sync` app's local moves and
 * server-side folder renames).
 *
 * A move shows, per folder pair, as a pair whose message vanished from
 * folder A on one side, and an unpaired message in folder B on that same
 * side. Each folder pair planned alone would delete the message in A on the
 * other side and copy it from B to the other side: a whole transfer. Here,
 * before the folder pairs are planned, such a message is matched across
 * folders by a key (a Maildir unique name, stable when a file moves; or an
 * identity), moved on the other side (IMAP `UID MOVE`, a Maildir rename),
 * and the pair moves from A's folder pair to B's. The folder syncs then see
 * nothing left to do for it, except merging the flags changed meanwhile (the
 * pair keeps the flags saved at the last sync as the merge base).
 *
 * Crash safety: the move is done first, then B's pair is committed, then A's
 * pair is removed. A crash after the move leaves the message unpaired on both
 * sides of B (the planner pairs them by identity) and A's pair with both
 * messages gone (the planner forgets it). A message to move is first checked
 * on the other side by identity, so a pair whose message is no longer there
 * (moved already, UIDVALIDITY changed, deleted) is left to the folder syncs.
 */
import type { Remote } from '../app.js';
import type { FolderPairRecord, MessagePair, StateStore } from '../state/types.js';
import type { FolderRef, Identity, MessageId, MessageMeta, Repository, ScanResult, Side } from '../types.js';
import { endsAccount, reportError, type ReportedError } from './folder-report.js';
import { checkpointOf } from './checkpoints.js';
import { folderRef } from '../folder-ref.js';
import { identifyAll } from './identify-all.js';
import { retrying } from './retrying.js';
import type { FolderPairNames } from './sync-folder.js';

/** One folder pair as the detection sees it, on the side where messages moved. */
export interface MoveFolderView {
  left: string;
  right: string;
  /** The saved folder pair; absent when the pair was never synced. */
  folderPairId?: number;
  /** The pairs saved at the last sync (none when never synced). */
  saved: readonly MessagePair[];
  /**
   * The folder's messages now: a full list; 'missing' when the folder no
   * longer exists on that side (every saved message vanished); 'unchanged'
   * when its scan says nothing changed since the last sync (nothing vanished,
   * nothing new).
   */
  current: readonly MessageMeta[] | 'missing' | 'unchanged';
  /**
   * Per side, the uidValidity its ids (in `saved` and `current`) are under:
   * a move acts on them only under it. Unknown: no move from or to here.
   */
  uidValidity: Partial<Record<Side, string>>;
}

export interface PlannedMove {
  /** Where the message moved (the user's side); the move is repeated on the other side. */
  side: Side;
  from: MoveFolderView;
  to: MoveFolderView;
  /** The pair saved in `from`: it holds the message's id on both sides. */
  pair: MessagePair;
  /** The message as it is now in `to`, on `side`. */
  message: MessageMeta;
}

const other = (side: Side): Side => (side === 'left' ? 'right' : 'left');

/**
 * Pure: the messages that moved on `side` from one folder to another. `key`
 * names a message on `side` (undefined: unknown, never matched) and
 * `pairKey` names a saved pair the same way. A key found once among the
 * vanished pairs and once among the unpaired messages of another folder is a
 * move; any other count (a copy in two folders, two pairs with one key) is
 * ambiguous and left to the folder syncs. A message that reappears in its
 * own folder is the planner's business, not a move.
 */
export function detectMoves(
  side: Side,
  folders: readonly MoveFolderView[],
  key: (message: MessageMeta, folder: MoveFolderView) => string | undefined,
  pairKey: (pair: MessagePair, folder: MoveFolderView) => string | undefined,
): PlannedMove[] {
  const vanished = new Map<string, { folder: MoveFolderView; pair: MessagePair }[]>();
  const appeared = new Map<string, { folder: MoveFolderView; message: MessageMeta }[]>();
  const add = <T>(map: Map<string, T[]>, k: string | undefined, value: T) => {
    if (k === undefined) return;
    const list = map.get(k);
    if (list) list.push(value);
    else map.set(k, [value]);
  };
  for (const folder of folders) {
    const ends = moveEnds(side, folder);
    for (const pair of ends.vanished) add(vanished, pairKey(pair, folder), { folder, pair });
    for (const message of ends.appeared) add(appeared, key(message, folder), { folder, message });
  }
  const moves: PlannedMove[] = [];
  for (const [k, gone] of vanished) {
    const found = appeared.get(k);
    if (gone.length !== 1 || found?.length !== 1) continue;
    const [{ folder: from, pair }] = gone as [{ folder: MoveFolderView; pair: MessagePair }];
    const [{ folder: to, message }] = found as [{ folder: MoveFolderView; message: MessageMeta }];
    if (from === to || (from.left === to.left && from.right === to.right)) continue;
    moves.push({ side, from, to, pair, message });
  }
  return moves;
}

/**
 * Where a move on `side` could start or end in a folder: its saved pairs
 * whose message there vanished (complete pairs only: the other side's
 * message is what moves), and its messages no saved pair holds.
 */
function moveEnds(side: Side, folder: MoveFolderView): { vanished: MessagePair[]; appeared: MessageMeta[] } {
  if (folder.current === 'unchanged') return { vanished: [], appeared: [] };
  const present = folder.current === 'missing' ? new Set<MessageId>() : new Set(folder.current.map((message) => message.id));
  const paired = new Set<MessageId>();
  const vanished: MessagePair[] = [];
  for (const pair of folder.saved) {
    const id = pair[side];
    if (id === undefined) continue;
    paired.add(id);
    if (!present.has(id) && pair[other(side)] !== undefined) vanished.push(pair);
  }
  const appeared = folder.current === 'missing' ? [] : folder.current.filter((message) => !paired.has(message.id));
  return { vanished, appeared };
}

export interface MoveJob {
  moves: readonly PlannedMove[];
  /** The repository of the side the moves are repeated on (the other side of `moves[].side`). */
  target: Remote<Repository>;
  /** The repository where the messages moved: identities of the moved messages, when a pair saved none. */
  source: Remote<Repository>;
  state: Remote<StateStore>;
  dryRun: boolean;
}

export interface MoveOutcome {
  /** Messages moved (or, on a dry run, to move). */
  moved: number;
  /** One line per message moved: `move left INBOX→Archive 12 (moved on right: 1700000000.M1P2.host)`. */
  lines: string[];
  /** Moves given up: the folder syncs copy and delete those messages instead. */
  warnings: ReportedError[];
  /** Per folder pair ('left\u0000right'), the ids the folder sync must leave out on a dry run. */
  skip: Map<string, Partial<Record<Side, MessageId[]>>>;
  /** The folder pairs ('left\u0000right') messages moved out of (or, on a dry run, are to). */
  emptied: Set<string>;
  /**
   * Per folder pair ('left\u0000right'), its folders as listed here and its
   * saved pairs, when no move (planned, done or given up) involves that
   * folder pair: its folder sync need not list those sides nor read its
   * pairs again.
   */
  listed: Map<string, ListedFolder>;
}

/** A folder pair's sides as listed by an earlier step of the run, and the pairs saved for it then (when read). */
export interface ListedFolder {
  scans: Partial<Record<Side, ListedScan>>;
  saved?: readonly MessagePair[];
}

export interface ListedScan {
  scan: ScanResult;
  /** The checkpoint it was listed since; none: listed in full. */
  since?: string;
}

function addListed(listed: Map<string, ListedFolder>, folder: { left: string; right: string }, side: Side, scan: ListedScan, saved: readonly MessagePair[] | undefined): void {
  const entry = listed.get(folderKey(folder)) ?? { scans: {} };
  entry.scans[side] = scan;
  entry.saved ??= saved;
  listed.set(folderKey(folder), entry);
}

/** The key of a folder pair in `MoveOutcome.skip`. */
export function folderKey(folder: { left: string; right: string }): string {
  return `${folder.left}\u0000${folder.right}`;
}

/**
 * Repeats the moves on the other side, grouped by source and target folder:
 * checks each message there by identity, moves the ones found
 * (`Repository.move`), then commits the target's pairs and removes the
 * source's. A move that fails is reported as a warning and left to the
 * folder syncs, which copy and delete instead: slower, never wrong.
 */
export async function executeMoves(job: MoveJob): Promise<Omit<MoveOutcome, 'listed'>> {
  const outcome: Omit<MoveOutcome, 'listed'> = { moved: 0, lines: [], warnings: [], skip: new Map(), emptied: new Set() };
  const groups = new Map<string, PlannedMove[]>();
  for (const move of job.moves) {
    const k = `${folderKey(move.from)}\u0001${folderKey(move.to)}`;
    const group = groups.get(k);
    if (group) group.push(move);
    else groups.set(k, [move]);
  }
  for (const group of groups.values()) {
    try {
      await moveGroup(job, group, outcome);
    } catch (error) {
      const first = group[0]!;
      outcome.warnings.push(reportError(error, first.from[other(first.side)]));
    }
  }
  return outcome;
}

async function moveGroup(job: MoveJob, group: PlannedMove[], outcome: Omit<MoveOutcome, 'listed'>): Promise<void> {
  const { side, from, to } = group[0]!;
  const there = other(side);
  const source = folderAt(from, there);
  // Ids saved under a UIDVALIDITY no longer known are left to the folder syncs, which re-pair by identity.
  if (!source) return;
  // The message on the other side must still be the pair's: same identity.
  const expected = await expectedIdentities(job, group);
  const found = await identities(job.target, source, group.map((move) => move.pair[there]!));
  const moves = group.filter((move) => {
    const identity = expected.get(move);
    return identity !== undefined && found.get(move.pair[there]!) === identity;
  });
  if (moves.length === 0) return;
  const ids = moves.map((move) => move.pair[there]!);
  const describe = (move: PlannedMove) => `move ${there} ${from[there]}→${to[there]} ${move.pair[there]} (moved on ${side}: ${move.message.id})`;
  outcome.emptied.add(folderKey(from));
  if (job.dryRun) {
    outcome.moved += moves.length;
    outcome.lines.push(...moves.map(describe));
    addSkip(outcome, from, there, ids);
    addSkip(outcome, to, side, moves.map((move) => move.message.id));
    return;
  }
  // Remote<> types an optional method as never; both shipped repositories have `move`.
  const newIds = await (job.target as unknown as Remote<Required<Repository>>).move(source, to[there], ids);
  const target = to.folderPairId !== undefined ? to.folderPairId : (await job.state.ensureFolderPair(to.left, to.right)).id;
  await job.state.commit(target, {
    upsertPairs: moves.map((move, i) => ({
      [side]: move.message.id,
      [there]: newIds[i]!,
      flags: [...move.pair.flags],
      // What each side did not hold goes with the message: the file and the server message are moved, not rewritten.
      ...(move.pair.notHeld ? { notHeld: move.pair.notHeld } : {}),
      identity: expected.get(move)!,
    })),
  });
  await job.state.commit(from.folderPairId!, { removePairs: moves.map((move) => ({ [there]: move.pair[there]! })) });
  outcome.moved += moves.length;
  outcome.lines.push(...moves.map(describe));
}

/** The identity each moved message must have: the pair's, or else the moved message's own. */
async function expectedIdentities(job: MoveJob, group: PlannedMove[]): Promise<Map<PlannedMove, Identity>> {
  const result = new Map<PlannedMove, Identity>();
  const unknown = group.filter((move) => move.pair.identity === undefined);
  const { side, to } = group[0]!;
  const folder = folderAt(to, side);
  const computed = unknown.length && folder ? await identities(job.source, folder, unknown.map((move) => move.message.id)) : new Map<MessageId, Identity>();
  for (const move of group) {
    const identity = move.pair.identity ?? computed.get(move.message.id);
    if (identity !== undefined) result.set(move, identity);
  }
  return result;
}

function identities(repository: Remote<Repository>, folder: FolderRef, ids: readonly MessageId[]): Promise<Map<MessageId, Identity>> {
  return identifyAll(repository, folder, ids);
}

/** The view's folder on `side` under the uidValidity its ids are from; undefined when that is not known. */
function folderAt(view: MoveFolderView, side: Side): FolderRef | undefined {
  const uidValidity = view.uidValidity[side];
  return uidValidity === undefined ? undefined : { name: view[side], uidValidity };
}

function addSkip(outcome: Omit<MoveOutcome, 'listed'>, folder: MoveFolderView, side: Side, ids: MessageId[]): void {
  const k = folderKey(folder);
  const entry = outcome.skip.get(k) ?? {};
  entry[side] = [...(entry[side] ?? []), ...ids];
  outcome.skip.set(k, entry);
}

export interface FollowMovesInput {
  /** Follow the moves made on these sides. */
  sides: Partial<Record<Side, boolean>>;
  /** The folder pairs synced this run (both folders exist, or one is `absent` on a dry run). */
  pairs: readonly FolderPairNames[];
  /**
   * In a pass limited to some folders (a daemon's, over the folders it heard
   * changed), the other synced folder pairs a full pass would take: a message
   * moved between one of them and a folder of the pass while the pass ran
   * (the Maildir watch had not told of it yet) is followed as a move, not
   * deleted here and copied by the next pass.
   */
  nearby?: readonly FolderPairNames[];
  /**
   * Synced folder pairs whose server folder changed since the last sync, as
   * the server's folder listing tells (LIST-STATUS), and whether messages
   * may have left it (`lost`): messages moved out of one into another, or
   * into a new folder, are followed. In a limited pass, `nearby` pairs may
   * be among them: a move with one end in the pass is followed.
   */
  serverChanged?: readonly { pair: FolderPairNames; lost: boolean }[];
  /** Folders synced before that are now missing on one side. */
  gone: readonly { name: string; missing: Side }[];
  records: readonly FolderPairRecord[];
  repositories: Record<Side, Remote<Repository>>;
  state: Remote<StateStore>;
  dryRun: boolean;
}

/**
 * The account-level step of the `sync` app, before the folder pairs are
 * synced: finds and repeats the moves made on each side.
 *
 * - Right (the Maildir): every folder that changed since its last sync is
 *   listed; a message keeps its unique name when a mail client or a script
 *   moves its file, so a saved pair whose file vanished from folder A and an
 *   unpaired file of that name in folder B is a move, repeated on the server
 *   with `UID MOVE`. A local folder renamed is a folder gone whose messages
 *   all moved: the server folder is emptied into the new one. A pass limited
 *   to some folders looks for the other end of a move in `nearby` too.
 * - Left (the server): UIDs change when a message moves, so moves are
 *   matched by identity: the pairs of a synced folder gone (renamed) or
 *   vanished from a synced folder that changed, and the messages of new
 *   folders or new in changed ones. Those messages are moved in the Maildir
 *   (a rename), not downloaded again. Which synced folders changed comes
 *   from the server's folder listing (`serverChanged`); a server that
 *   cannot tell (no LIST-STATUS) has only its folder renames followed.
 */
export async function followMoves(input: FollowMovesInput): Promise<MoveOutcome> {
  const outcome: MoveOutcome = { moved: 0, lines: [], warnings: [], skip: new Map(), emptied: new Set(), listed: new Map() };
  const involved = new Set<string>();
  for (const side of ['right', 'left'] as const) {
    if (!input.sides[side]) continue;
    const moves = side === 'right' ? await localMoves(input, outcome.listed) : await serverMoves(input, outcome.listed);
    for (const move of moves) for (const folder of [move.from, move.to]) involved.add(folderKey(folder));
    if (moves.length === 0) continue;
    const there = other(side);
    const done = await executeMoves({ moves, target: input.repositories[there], source: input.repositories[side], state: input.state, dryRun: input.dryRun });
    outcome.moved += done.moved;
    outcome.lines.push(...done.lines);
    outcome.warnings.push(...done.warnings);
    for (const k of done.emptied) outcome.emptied.add(k);
    for (const [k, ids] of done.skip) {
      const entry = outcome.skip.get(k) ?? {};
      for (const s of ['left', 'right'] as const) if (ids[s]) entry[s] = [...(entry[s] ?? []), ...ids[s]];
      outcome.skip.set(k, entry);
    }
  }
  for (const k of involved) outcome.listed.delete(k);
  return outcome;
}

function recordOf(records: readonly FolderPairRecord[], folder: { left: string; right: string }): FolderPairRecord | undefined {
  return records.find((record) => record.left === folder.left && record.right === folder.right);
}

/**
 * Moves made in the Maildir: matched by unique name across the folders that
 * changed, all listed at once. Their listings and saved pairs go to `listed`.
 * A pass limited to some folders looks for the other end of a move in the
 * `nearby` folders too, once one of its own changed here, and follows the
 * moves that have one end in the pass.
 */
async function localMoves(input: FollowMovesInput, listed: Map<string, ListedFolder>): Promise<PlannedMove[]> {
  const own = await localViews(input, input.pairs, listed);
  const nearby = input.nearby?.length && own.some((view) => view.current !== 'unchanged') ? await localViews(input, input.nearby) : [];
  const views = [...own, ...nearby];
  for (const { name, missing } of input.gone) {
    if (missing !== 'right') continue;
    const record = input.records.find((candidate) => candidate.left === name);
    if (record) views.push(await missingFolderView(input, record, 'left'));
  }
  const moves = detectMoves(
    'right',
    views,
    (message) => message.id,
    (pair) => pair.right,
  );
  // A move between two nearby folders waits for the pass over them: this pass does not sync either.
  const outside = new Set(nearby);
  return moves.filter((move) => !outside.has(move.from) || !outside.has(move.to));
}

/** The Maildir side of `pairs` as the detection sees it; the full listings go to `listed` when given. */
async function localViews(input: FollowMovesInput, pairs: readonly FolderPairNames[], listed?: Map<string, ListedFolder>): Promise<MoveFolderView[]> {
  const repository = input.repositories.right;
  const folderViews = await Promise.all(
    pairs.map(async (pair): Promise<MoveFolderView | undefined> => {
      if (pair.absent === 'right') return undefined;
      const record = recordOf(input.records, pair);
      const found = await unlessFolderFails(async () => {
        const scan = await retrying(() => repository.scan(pair.right, checkpointOf(record?.rightCheckpoint)));
        const listing = await fullListing(repository, pair.right, scan);
        const uidValidity = listing === 'unchanged' ? scan.status.uidValidity : listing.status.uidValidity;
        // Ids from another UIDVALIDITY mean nothing here: the folder sync re-pairs them by identity.
        if (record?.rightUidValidity !== undefined && record.rightUidValidity !== uidValidity) return undefined;
        const saved = record && listing !== 'unchanged' ? await input.state.pairs(record.id) : [];
        if (listing !== 'unchanged' && listed) addListed(listed, pair, 'right', { scan: listing }, saved);
        return { current: listing === 'unchanged' ? listing : listing.messages, uidValidity, saved };
      });
      if (found === undefined) return undefined;
      return {
        left: pair.left,
        right: pair.right,
        ...(record ? { folderPairId: record.id } : {}),
        saved: found.saved,
        current: found.current,
        uidValidity: {
          right: found.uidValidity,
          ...(record?.leftUidValidity !== undefined ? { left: record.leftUidValidity } : {}),
        },
      };
    }),
  );
  return folderViews.filter((view): view is MoveFolderView => view !== undefined);
}

/**
 * Moves made on the server, matched by identity: the pairs of a synced
 * folder gone (renamed) and the vanished pairs of synced folders that
 * changed, against the messages of new folders and the new messages of
 * the changed folders. Nothing is listed here unless a folder was renamed
 * or the server's listing shows one that lost messages (then the listings
 * go to the folder syncs), and new messages are identified (a header each)
 * only when some pair vanished.
 */
async function serverMoves(input: FollowMovesInput, listed: Map<string, ListedFolder>): Promise<PlannedMove[]> {
  const renamed = input.gone.filter((folder) => folder.missing === 'left').flatMap(({ name }) => input.records.filter((record) => record.left === name));
  const fresh = input.pairs.filter((pair) => pair.absent !== 'left' && !recordOf(input.records, pair));
  const changed = (input.serverChanged ?? []).filter(({ pair }) => pair.absent !== 'left' && recordOf(input.records, pair));
  // A move takes messages out of one folder into another: nothing to look for when no folder lost any (the common case, at no cost).
  const lost = changed.filter((folder) => folder.lost).length;
  if (renamed.length + lost === 0 || fresh.length + changed.length === 0 || renamed.length + changed.length + fresh.length < 2) return [];
  const views: MoveFolderView[] = [];
  for (const record of renamed) views.push(await missingFolderView(input, record, 'right'));
  for (const { pair } of changed) {
    const view = await changedServerView(input, pair, recordOf(input.records, pair)!, listed);
    if (view) views.push(view);
  }
  const ends = new Map(views.map((view) => [view, moveEnds('left', view)]));
  if (![...ends.values()].some((end) => end.vanished.length > 0)) return [];
  const repository = input.repositories.left;
  const identities = new Map<MoveFolderView, Map<MessageId, Identity>>();
  for (const [view, { appeared }] of ends) {
    if (appeared.length === 0 || view.uidValidity.left === undefined) continue;
    const found = await unlessFolderFails(() => identifyAll(repository, { name: view.left, uidValidity: view.uidValidity.left! }, appeared.map((message) => message.id)));
    if (found) identities.set(view, found);
  }
  for (const pair of fresh) {
    const found = await unlessFolderFails(async () => {
      const scan = await retrying(() => repository.scan(pair.left));
      return { scan, identities: await identifyAll(repository, folderRef(pair.left, scan), scan.messages.map((message) => message.id)) };
    });
    if (found === undefined) continue;
    const view: MoveFolderView = { left: pair.left, right: pair.right, saved: [], current: found.scan.messages, uidValidity: { left: found.scan.status.uidValidity } };
    identities.set(view, found.identities);
    views.push(view);
  }
  const moves = detectMoves(
    'left',
    views,
    (message, folder) => identities.get(folder)?.get(message.id),
    (pair) => pair.identity,
  );
  // A move between two folders outside a limited pass waits for the pass over them, as in localMoves.
  const outside = new Set((input.nearby ?? []).map(folderKey));
  return moves.filter((move) => !outside.has(folderKey(move.from)) || !outside.has(folderKey(move.to)));
}

/**
 * A synced folder pair whose server folder changed, as the detection sees
 * it: listed since its checkpoint (in full when that does not account for
 * the server's count), the listing handed to its folder sync in `listed`.
 */
async function changedServerView(input: FollowMovesInput, pair: FolderPairNames, record: FolderPairRecord, listed: Map<string, ListedFolder>): Promise<MoveFolderView | undefined> {
  const repository = input.repositories.left;
  const found = await unlessFolderFails(async () => {
    const since = checkpointOf(record.leftCheckpoint);
    let scan = await retrying(() => repository.scan(pair.left, since));
    if (scan.kind === 'unchanged') return { scan, since, current: 'unchanged' as const };
    const saved = await input.state.pairs(record.id);
    let current = currentMessages(scan, saved);
    if (scan.kind === 'changes' && scan.status.exists !== undefined && current.length !== scan.status.exists) {
      scan = await retrying(() => repository.scan(pair.left));
      current = scan.messages;
    }
    return { scan, since: scan.kind === 'full' ? undefined : since, saved, current };
  });
  // Ids from another UIDVALIDITY mean nothing here: the folder sync re-pairs them by identity.
  if (!found || (record.leftUidValidity !== undefined && record.leftUidValidity !== found.scan.status.uidValidity)) return undefined;
  addListed(listed, pair, 'left', { scan: found.scan, ...(found.since === undefined ? {} : { since: found.since }) }, found.saved);
  return {
    left: pair.left,
    right: pair.right,
    folderPairId: record.id,
    saved: found.saved ?? [],
    current: found.current,
    uidValidity: { left: found.scan.status.uidValidity, ...(record.rightUidValidity !== undefined ? { right: record.rightUidValidity } : {}) },
  };
}

/** The folder's messages after a scan: a full one as listed; one of the changes applied to the saved pairs (theirs with the saved flags). */
function currentMessages(scan: ScanResult, saved: readonly MessagePair[]): MessageMeta[] {
  if (scan.kind === 'full') return scan.messages;
  const gone = new Set(scan.vanished);
  const listedIds = new Set(scan.messages.map((message) => message.id));
  const kept = saved.flatMap((pair) => (pair.left !== undefined && !gone.has(pair.left) && !listedIds.has(pair.left) ? [{ id: pair.left, flags: pair.flags, size: 0 }] : []));
  return [...kept, ...scan.messages];
}

/**
 * `work` on one folder, or undefined when that folder fails (refused by the
 * server, a name the store cannot hold): it takes no part in the moves, and
 * its own sync reports the failure. What ends the account still throws.
 */
async function unlessFolderFails<T>(work: () => Promise<T>): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (endsAccount(error)) throw error;
    return undefined;
  }
}

/** The folder listed in full, or 'unchanged' when the scan says nothing changed since the checkpoint. */
async function fullListing(repository: Remote<Repository>, folder: string, scan: ScanResult): Promise<ScanResult | 'unchanged'> {
  if (scan.kind === 'unchanged') return 'unchanged';
  if (scan.kind === 'full') return scan;
  return retrying(() => repository.scan(folder));
}

/** The view of a synced folder pair whose folder is gone on the side other than `kept`: its saved pairs, under `kept`'s saved UIDVALIDITY. */
async function missingFolderView(input: FollowMovesInput, record: FolderPairRecord, kept: Side): Promise<MoveFolderView> {
  const uidValidity = kept === 'left' ? record.leftUidValidity : record.rightUidValidity;
  return {
    left: record.left,
    right: record.right,
    folderPairId: record.id,
    saved: await input.state.pairs(record.id),
    current: 'missing',
    uidValidity: uidValidity !== undefined ? { [kept]: uidValidity } : {},
  };
}
