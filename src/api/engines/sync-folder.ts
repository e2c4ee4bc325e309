import type { ActorContext, Remote } from '../app.js';
import { ConfigError } from '../errors.js';
import type { FolderPairRecord, Intent, MessagePair, StateStore } from '../state/types.js';
import { folderRef } from '../folder-ref.js';
import type { FolderRef, FolderStatus, MessageId, MessageMeta, RefusedFlag, Repository, ScanOptions, ScanResult, Side } from '../types.js';
import { describePlan, flagsByUse, heldAtLastSync, needIdentities, otherSide, planSync, type PlanStep, type SyncPlan } from '../../core/sync/index.js';
import { towards, type SyncPolicy } from '../../core/sync/policy.js';
import { checkpointToSave, checkpointUnder } from './checkpoints.js';
import { copySteps, type LandedCopy } from './copy-steps.js';
import { addErrors, emptyFolderReport, endsAccount, recordFolderFailure, reportError, type FolderProgress, type FolderReport, type SkippedItem } from './folder-report.js';
import { identifyAll } from './identify-all.js';
import { priorBase, type PriorBase } from './prior-sync.js';
import { isSelective, selects, selectsByAge, type MessageSelection } from './message-selection.js';
import { throttleFor, type RateLimit } from './rate-limit.js';
import { holdBackUnfound, reportMark } from './unfound.js';
import { retrying } from './retrying.js';
import { SharedCopies, type LentCopies, type LentOutcome } from './shared-copies.js';
import { CopyQueue } from './copy-queue.js';
import { FlagLists } from './flag-lists.js';
import type { SeenIdentities } from './seen-identities.js';
import type { ListedFolder } from './local-moves.js';
import { allDone } from './all-done.js';
import { DEFAULT_LISTING_BUDGET, listingBudget } from './listing-budget.js';

export interface SyncFolderOptions {
  /** Actor names of the two repositories and of the state store. */
  left: string;
  right: string;
  state: string;
  policy: SyncPolicy;
  /** Plan and report, change nothing (neither the stores nor the state). */
  dryRun?: boolean;
  /** A copy batch holds at most this many messages... */
  batchMessages?: number;
  /** ...and about this many bytes (default 2 MiB). Two batches are in flight at most, per engine. */
  batchBytes?: number;
  /** A message larger than this (default 4 MiB) is copied in parts of this size, never held whole. */
  partBytes?: number;
  /**
   * Only the left side's messages this selection keeps (age, size) are
   * planned, unless already paired: a message left out is neither copied nor
   * taken as gone. With a selection the left side is always listed in full
   * and its checkpoint is not kept (ages change without the folder changing).
   */
  select?: MessageSelection;
  /** Bounds the copy rate (token buckets shared per thread and key). */
  rateLimit?: RateLimit;
  /**
   * The largest message a side takes (a provider's upload limit): a larger
   * one is not copied there, and is named in the report's skipped list.
   */
  uploadLimit?: Partial<Record<Side, { bytes: number; provider: string }>>;
  /**
   * Messages the engines of one thread hold listed at once while they plan a
   * folder or list it for its checkpoint (default 10,000; see ListingBudget):
   * a bigger folder waits for the others and is listed alone. A folder whose
   * size its store's folder listing does not state never waits.
   */
  listingBudget?: number;
  /**
   * The side whose store may keep another tool's record of a folder's last
   * sync (Repository.priorSync: mbsync's `.mbsyncstate` in a Maildir): a
   * folder pair imapfw never synced starts from it, so that what changed
   * since that tool last ran (a deletion, a flag cleared) propagates instead
   * of the message coming back and the flags merging as a union.
   */
  priorSync?: Side;
}

export interface FolderPairNames {
  left: string;
  right: string;
  /** On a dry run: this side's folder does not exist yet (it would be created); plan as if empty. */
  absent?: Side;
  /**
   * Messages another step of the run handles (on a `sync` dry run, the moves
   * between folders it only planned): left out of the scans and of the saved pairs.
   */
  skip?: Partial<Record<Side, string[]>>;
  /** Sides listed, and the saved pairs read, by an earlier step of the same run that changed neither since: not read again. */
  listed?: ListedFolder;
  /** What each side's folder listing said of the folder (FolderInfo.status): its scan may be answered from it. */
  status?: Partial<Record<Side, FolderStatus>>;
}

const SIDES: readonly Side[] = ['left', 'right'];
/** Flag changes and deletions are sent and committed this many at a time. */
const UPDATE_BATCH = 500;

/**
 * The SyncFolder engine (DESIGN §4): syncs one folder pair. Scans both
 * sides from their checkpoints, plans three-way against the saved state,
 * then executes: flag changes and deletions, then copies, pipelined. Each
 * step's pair is committed only once its actions are durable, so a crash at
 * any moment loses nothing and the next run finds what was done.
 *
 * Its repositories and state may share its worker (direct calls, no
 * clones): it never changes what it passed to them or what they returned
 * while they may still use it, and returns its own reports and progress as
 * fresh objects.
 */
export class SyncFolder {
  protected readonly options: SyncFolderOptions;
  protected readonly context: ActorContext;
  private current: FolderProgress | undefined;
  /** The copies this engine shares with idle ones now. */
  private readonly shared = new Map<Side, SharedCopies>();
  /** The flag lists `expected` holds, shared by the messages with the same flags. */
  private readonly flagLists = new FlagLists();
  /** Set by a subclass that checks the folder after its sync (MigrateFolder): the identities the plan and the copies saw. */
  protected readonly seenIdentities: SeenIdentities | undefined;
  /** Set by interrupt(): this engine starts no more batches. */
  private interrupting = false;
  /** The queues of copies lent to this engine that it copies now: interrupt() empties them. */
  private readonly borrowed = new Set<CopyQueue>();

  constructor(options: SyncFolderOptions, context: ActorContext) {
    if (options.listingBudget !== undefined && !(Number.isInteger(options.listingBudget) && options.listingBudget > 0)) {
      throw new ConfigError(`listingBudget must be a positive whole number of messages, not ${options.listingBudget}`);
    }
    this.options = options;
    this.context = context;
  }

  /**
   * The folder being synced, for progress bars; undefined between folders.
   * A copy: the engine keeps counting in its own, and a caller on the same
   * worker (a direct call) would otherwise see it change under it.
   */
  progress(): FolderProgress | undefined {
    return this.current && { ...this.current };
  }

  /** Awaited before each copy batch is fetched, with its messages and bytes: the rate limits. A subclass may add its own. */
  protected copyThrottle(): ((messages: number, bytes: number) => Promise<void>) | undefined {
    return throttleFor(this.options.rateLimit);
  }

  async run(names: FolderPairNames): Promise<FolderReport> {
    const started = performance.now();
    const report = emptyFolderReport(names.left, names.right);
    this.current = { folder: names.left, total: 0, done: 0, bytes: 0 };
    try {
      await this.sync(names, report);
    } catch (error) {
      if (!endsAccount(error)) this.context.logger.error({ err: error, folder: names.left }, 'folder failed');
      recordFolderFailure(error, names.left, report);
    } finally {
      report.seconds = (performance.now() - started) / 1000;
      this.current = undefined;
    }
    return report;
  }

  /**
   * An idle engine asks for some of the copies of the folder this one syncs
   * (SyncAccount schedules): a chunk of them, or none when this engine is
   * not copying now or has too few left to share.
   */
  lend(): LentCopies | undefined {
    for (const copies of this.shared.values()) {
      const lent = copies.lend();
      if (lent) return lent;
    }
    return undefined;
  }

  /**
   * Winds this engine down (a signal: see Runtime.onInterrupt): the batches
   * in flight finish and are committed, nothing more is started, and the
   * folder takes no checkpoint, so the next run does the rest. Its report,
   * and that of each later run() of this engine, says `interrupted`.
   */
  interrupt(): void {
    this.interrupting = true;
    for (const copies of this.shared.values()) copies.stop();
    for (const queue of this.borrowed) queue.clear();
  }

  /** True, and marked in `report`, once interrupt() was called. */
  private interrupted(report: FolderReport): boolean {
    if (this.interrupting) report.interrupted = true;
    return this.interrupting;
  }

  /** Lent copies are done, by another engine: they count as this folder's own. */
  returnLent(from: Side, outcome: LentOutcome): void {
    this.shared.get(from)?.returned(outcome);
  }

  /**
   * Copies another engine's lent copies with this engine's connections, as
   * that engine would: intents, store and commit per batch (copySteps).
   */
  async copyLent(copies: LentCopies): Promise<LentOutcome> {
    const outcome: LentOutcome = { stored: [], bytes: 0, skipped: [], errors: [] };
    const folder = copies.folders.from.name;
    const progress: FolderProgress = { folder, total: copies.steps.length, done: 0, bytes: 0 };
    this.current = progress;
    const steps = new CopyQueue(copies.from, this.interrupting ? [] : copies.steps);
    this.borrowed.add(steps);
    try {
      await copySteps({
        ...this.copyJob(copies.from, copies.folders, copies.folderPairId, new Map(copies.sizes)),
        steps,
        onBatch: (stored, bytes) => {
          outcome.stored.push(...stored);
          outcome.bytes += bytes;
          progress.done += stored.length;
          progress.bytes += bytes;
        },
        onSkipped: (items) => outcome.skipped.push(...items),
        onError: (error) => {
          addErrors(outcome.errors, reportError(error, folder));
          this.copyFailed(error, folder);
        },
      });
    } finally {
      this.borrowed.delete(steps);
      this.current = undefined;
    }
    return outcome;
  }

  /** Runs `work`, which lists the folder, within the thread's listing budget, weighed by the folder's size as its stores' folder listings state it. */
  private async listing<T>(names: FolderPairNames, work: () => Promise<T>): Promise<T> {
    const size = Math.max(names.status?.left?.exists ?? 0, names.status?.right?.exists ?? 0);
    const release = await listingBudget(this.options.listingBudget ?? DEFAULT_LISTING_BUDGET).hold(size);
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Opens both sides' connections ahead of the first folder (see SyncAccount.run). */
  async connect(): Promise<void> {
    await Promise.all(SIDES.map((side) => this.repository(side).connect()));
  }

  protected repository(side: Side): Remote<Repository> {
    return this.context.peer<Repository>(this.options[side]);
  }

  protected get state(): Remote<StateStore> {
    return this.context.peer<StateStore>(this.options.state);
  }

  private async sync(names: FolderPairNames, report: FolderReport): Promise<void> {
    if (this.interrupted(report)) return;
    const record = await this.folderPair(names);
    // Planned in a call of its own: the listings, the saved pairs and the plan are not held while the copies run.
    const planned = await this.listing(names, () => this.plan(names, record, report));
    if (!planned || this.interrupted(report)) return;
    const { folders, scans, intents, unfound } = planned;
    // Pairs committed from now on hold ids of these UIDVALIDITYs: record them first, so that a run that
    // fails half-way never leaves pairs whose ids a later renumbering would make mean other messages.
    await this.state.commit(record.id, { checkpoints: { leftUidValidity: folders.left.uidValidity, rightUidValidity: folders.right.uidValidity } });
    const expected = await this.execute(folders, record.id, planned.work, report);
    const wrote = (side: Side) => report.copied[side] + report.deleted[side] + report.flagsChanged[side] > 0;
    const checkpoint = async (side: Side) => (wrote(side) ? this.settledCheckpoint(names[side], side, scans[side], expected[side]) : scans[side].checkpoint);
    const checkpoints = () => Promise.all([isSelective(this.options.select) ? undefined : checkpoint('left'), checkpoint('right')]);
    // After a failure or a skipped message, both sides are listed in full next time (a message held back needs no
    // listing). Both sides are checked at once; only a side written to is listed again, so only then is the budget taken.
    const fresh =
      !this.interrupted(report) && report.errors.length === 0 && report.skipped.every((item) => unfound.held.includes(item))
        ? await (SIDES.some(wrote) ? this.listing(names, checkpoints) : checkpoints())
        : undefined;
    await this.state.commit(record.id, {
      closeIntents: [...intents, ...unfound.settled].map((intent: Intent) => intent.id),
      checkpoints: {
        leftUidValidity: scans.left.status.uidValidity,
        rightUidValidity: scans.right.status.uidValidity,
        ...(fresh
          ? {
              leftCheckpoint: fresh[0] === undefined ? '' : checkpointToSave(this.options.policy, fresh[0]),
              rightCheckpoint: checkpointToSave(this.options.policy, fresh[1]),
            }
          : {}),
      },
    });
  }

  /**
   * Scans both sides, reads the saved pairs and plans; undefined when there
   * is nothing to execute (both sides unchanged, or a dry run, whose plan
   * goes to the report). What it returns holds no listing: the scans without
   * their messages, and of the plan only the work left to do.
   */
  private async plan(names: FolderPairNames, record: FolderPairRecord, report: FolderReport): Promise<PlannedFolder | undefined> {
    const open = record.id > 0 ? await this.state.intents(record.id) : [];
    // An open intent means a crash in the middle of a copy: list the target in full to find what arrived.
    // One marked unfound is not: its copy landed changed beyond recognition, and is not made again (see unfound.ts).
    const intents = open.filter((intent) => intent.unfoundAt === undefined);
    let marks = open.filter((intent) => intent.unfoundAt !== undefined);
    const forceFull = (side: Side) => intents.some((intent) => intent.from !== side) || (side === 'left' && isSelective(this.options.select));
    // The saved pairs are read while the sides are listed, as soon as one of them changed: a run with nothing to do never reads them.
    let reading: Promise<MessagePair[]> | undefined;
    const given = names.listed?.saved;
    const readSaved = () => (reading ??= given ? Promise.resolve([...given]) : record.id > 0 ? this.state.pairs(record.id) : Promise.resolve([]));
    const onScan = (scan: ScanResult) => {
      // Awaited below; a failure meanwhile is not an unhandled rejection.
      if (scan.kind !== 'unchanged') readSaved().catch(() => undefined);
    };
    let scans = await this.scanBoth(names, record, forceFull, this.listedScans(names, record, forceFull), onScan);
    if (scans.left.kind === 'unchanged' && scans.right.kind === 'unchanged' && intents.length === 0) {
      report.unchanged = true;
      report.skipped.push(...marks.map((mark) => reportMark(mark, names)));
      return undefined;
    }
    // One side changed: a side that did not is listed in full too, so that the planner sees it as it is, unless its
    // store counted its messages (IMAP EXISTS): its saved pairs then stand for it, checked against that count below.
    const unlisted = (side: Side) => scans[side].kind === 'unchanged' && scans[side].status.exists === undefined;
    if (SIDES.some(unlisted)) {
      const kept = Object.fromEntries(SIDES.filter((side) => !unlisted(side)).map((side) => [side, scans[side]]));
      scans = await this.scanBoth(names, record, () => true, kept, onScan);
    }

    let saved = await readSaved();
    // A side's view maps every saved pair: built once for its scan and saved pairs, for the count check and for the planner.
    const views: Partial<Record<Side, { scan: ScanResult; saved: readonly MessagePair[]; view: MessageMeta[] }>> = {};
    const viewOf = (side: Side): MessageMeta[] => {
      const kept = views[side];
      if (kept?.scan === scans[side] && kept.saved === saved) return kept.view;
      return (views[side] = { scan: scans[side], saved, view: currentView(side, scans[side], saved) }).view;
    };
    // A listing of the changes alone ('unchanged': none) is believed only when, applied to the saved pairs, it accounts for the server's
    // count; an unchanged side that also holds messages never paired (those a narrower policy leaves) is listed in full here.
    for (const side of SIDES) {
      const scan = scans[side];
      if (scan.kind !== 'full' && scan.status.exists !== undefined && viewOf(side).length !== scan.status.exists) {
        if (scan.kind === 'changes') this.context.logger.warn({ folder: names[side], side }, 'the changes since the last run do not account for the folder: listing it in full');
        scans[side] = await retrying(() => this.repository(side).scan(names[side], undefined, this.scanOptions(side)));
      }
    }
    for (const side of SIDES) {
      for (const message of scans[side].skipped ?? []) report.skipped.push({ folder: names[side], ...(message.id === undefined ? {} : { id: message.id }), reason: message.reason });
    }
    for (const side of SIDES) {
      const savedValidity = side === 'left' ? record.leftUidValidity : record.rightUidValidity;
      if (savedValidity !== undefined && savedValidity !== scans[side].status.uidValidity) {
        this.context.logger.warn({ folder: names[side], side }, 'UIDVALIDITY changed: re-pairing the messages by identity');
        if (!this.options.dryRun) await this.state.forgetSide(record.id, side);
        saved = saved.map((pair) => withoutSide(pair, side)).filter((pair) => pair.left !== undefined || pair.right !== undefined);
        // The marks' source ids from that side name other messages now: dropped (the messages are paired by identity, or copied once more).
        intents.push(...marks.filter((mark) => mark.from === side));
        marks = marks.filter((mark) => mark.from !== side);
      }
    }

    const skip = { left: new Set(names.skip?.left), right: new Set(names.skip?.right) };
    if (names.skip) saved = saved.filter((pair) => !SIDES.some((side) => pair[side] !== undefined && skip[side].has(pair[side]!)));
    const view = { left: viewOf('left'), right: viewOf('right') };
    for (const side of SIDES) if (skip[side].size) view[side] = view[side].filter((message) => !skip[side].has(message.id));
    if (isSelective(this.options.select)) view.left = selectedView(view.left, saved, this.options.select);
    // Every request on ids from here on names the UIDVALIDITY they were listed under.
    const folders = { left: folderRef(names.left, scans.left), right: folderRef(names.right, scans.right) };
    const dates = { left: new Map<MessageId, number>(), right: new Map<MessageId, number>() };
    const prior = names.absent === this.options.priorSync ? undefined : await this.priorBase(record, saved, folders, view, scans, dates);
    if (prior) {
      saved = prior.saved;
      report.paired += prior.paired;
      // Saved with the UIDVALIDITYs their ids belong to (see sync()): a crash from here on plans from them again.
      const checkpoints = { leftUidValidity: folders.left.uidValidity, rightUidValidity: folders.right.uidValidity };
      if (!this.options.dryRun && record.id > 0 && saved.length > 0) await this.state.commit(record.id, { upsertPairs: saved, checkpoints });
    }
    const wanted = needIdentities(saved, view.left, view.right);
    const [leftIdentities, rightIdentities] = await Promise.all(
      SIDES.map((side) => identifyAll(this.repository(side), folders[side], wanted[side], { dates: dates[side], ...(prior ? { known: prior.identities[side] } : {}) })),
    );
    const identities = { left: leftIdentities!, right: rightIdentities! };
    // Dates a listing left out (a Maildir's) tell the planner which copy of a mail held twice is which.
    for (const side of SIDES) if (dates[side].size > 0) view[side] = withDates(view[side], dates[side]);
    for (const side of SIDES) this.seenIdentities?.add(side, folders[side], identities[side]);
    const cannotHold = await this.flagsNotHeld(names, view, report);
    const unfound = holdBackUnfound(planSync({ saved, left: view.left, right: view.right, identities, policy: this.options.policy, cannotHold }), marks, names);
    const plan = unfound.plan;
    report.skipped.push(...unfound.held);
    if (this.options.dryRun) {
      report.planned = describePlan(plan);
      countPlan(plan, report);
      return undefined;
    }
    const summary = ({ status, checkpoint, kind }: ScanResult): ScanSummary => ({ status, checkpoint, kind });
    return {
      folders,
      scans: { left: summary(scans.left), right: summary(scans.right) },
      intents,
      unfound: { held: unfound.held, settled: unfound.settled },
      work: folderWork(plan, view, this.flagLists),
    };
  }

  /**
   * On a folder pair never synced, with no saved pairs: the base another
   * tool's record gives (SyncFolderOptions.priorSync), checked.
   */
  private async priorBase(
    record: FolderPairRecord,
    saved: readonly MessagePair[],
    folders: Record<Side, FolderRef>,
    view: Record<Side, MessageMeta[]>,
    scans: Record<Side, ScanResult>,
    dates: Record<Side, Map<MessageId, number>>,
  ): Promise<PriorBase | undefined> {
    const side = this.options.priorSync;
    // An empty folder is asked too: mbsync's record of it says whether its messages were deleted here since.
    if (side === undefined || saved.length > 0 || record.leftUidValidity !== undefined || record.rightUidValidity !== undefined) return undefined;
    const repositories = { left: this.repository('left'), right: this.repository('right') };
    return priorBase({ side, repositories, folders, view, serverStatus: scans[otherSide(side)].status, dates, logger: this.context.logger });
  }

  /** The saved folder pair; on a dry run an unknown pair is not created (id 0). */
  private async folderPair(names: FolderPairNames): Promise<FolderPairRecord> {
    if (!this.options.dryRun) return this.state.ensureFolderPair(names.left, names.right);
    const known = (await this.state.folderPairs()).find((pair) => pair.left === names.left && pair.right === names.right);
    return known ?? { id: 0, left: names.left, right: names.right };
  }

  /**
   * The scans an earlier step of the run handed over that this sync would
   * have made itself: a full listing (unless this sync needs dates a store
   * reads per message), or one since the checkpoint this sync would list
   * from.
   */
  private listedScans(names: FolderPairNames, record: FolderPairRecord, full: (side: Side) => boolean): Partial<Record<Side, ScanResult>> {
    const result: Partial<Record<Side, ScanResult>> = {};
    for (const side of SIDES) {
      const given = names.listed?.scans[side];
      if (!given || this.scanOptions(side).internalDates) continue;
      const since = checkpointUnder(this.options.policy, side === 'left' ? record.leftCheckpoint : record.rightCheckpoint);
      if (given.scan.kind === 'full' || (!full(side) && given.since !== undefined && given.since === since)) result[side] = given.scan;
    }
    return result;
  }

  /** Both sides listed at once, but for those already `listed`; `onScan` hears each listing as it comes. */
  private async scanBoth(
    names: FolderPairNames,
    record: FolderPairRecord,
    full: (side: Side) => boolean,
    listed: Partial<Record<Side, ScanResult>>,
    onScan: (scan: ScanResult) => void,
  ): Promise<Record<Side, ScanResult>> {
    const checkpoint = { left: checkpointUnder(this.options.policy, record.leftCheckpoint), right: checkpointUnder(this.options.policy, record.rightCheckpoint) };
    const scan = async (side: Side): Promise<ScanResult> => {
      if (listed[side]) return listed[side];
      if (names.absent === side) return { status: { uidValidity: '' }, checkpoint: '', kind: 'full', messages: [], vanished: [] };
      const status = names.status?.[side];
      return retrying(() => this.repository(side).scan(names[side], full(side) ? undefined : checkpoint[side], { ...this.scanOptions(side), ...(status ? { listed: status } : {}) }));
    };
    const [left, right] = await Promise.all(
      SIDES.map(async (side) => {
        const result = await scan(side);
        onScan(result);
        return result;
      }),
    );
    return { left: left!, right: right! };
  }

  /** The left side's dates are read when the selection goes by age (a Maildir reads them per file). */
  private scanOptions(side: Side): ScanOptions {
    return { internalDates: side === 'left' && selectsByAge(this.options.select) };
  }

  /**
   * Per side the plan may write to, the flags it cannot hold of those the
   * messages carry (a Maildir folder holds 26 keywords): the planner never
   * sends them there nor reads their absence there as a removal, so the
   * other side keeps them. Asked most used first, so that where room runs
   * short the most used keywords get it (and keep it: the same ones win on
   * every run). The user is told once per folder and run, as a warning.
   */
  private async flagsNotHeld(names: FolderPairNames, view: Record<Side, MessageMeta[]>, report: FolderReport): Promise<Record<Side, Set<string>>> {
    const result = { left: new Set<string>(), right: new Set<string>() };
    const wanted = flagsByUse(flagListsOf(view.left, view.right));
    if (wanted.length === 0) return result;
    for (const side of SIDES) {
      const incoming = towards(this.options.policy, side);
      if (names.absent === side || (!incoming.has('new') && !incoming.has('flags'))) continue;
      const refused = await retrying(() => this.repository(side).reserveFlags(names[side], wanted));
      if (refused.length === 0) continue;
      for (const { flag } of refused) result[side].add(flag);
      const other = side === 'left' ? 'right' : 'left';
      const carried = new Set(view[other].flatMap((message) => message.flags));
      for (const [reason, flags] of byReason(refused.filter(({ flag }) => carried.has(flag)))) {
        const message = `${flags.join(' ')} not stored in the ${side} folder "${names[side]}": ${reason}; kept on the ${other} side, and never removed there for this`;
        report.warnings.push({ folder: names[side], message });
        this.context.logger.warn({ folder: names[side], side, flags }, message);
      }
    }
    return result;
  }

  /** The copies from `side` the other side's upload limit lets through; the others are reported skipped. */
  private withinUploadLimit(copies: CopyQueue, side: Side, sizes: ReadonlyMap<string, number>, folders: Record<Side, FolderRef>, report: FolderReport): void {
    const limit = this.options.uploadLimit?.[side === 'left' ? 'right' : 'left'];
    if (!limit) return;
    const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
    for (const id of copies.keepOnly((id) => (sizes.get(id) ?? 0) <= limit.bytes)) {
      report.skipped.push({ folder: folders[side].name, id, reason: `${mb(sizes.get(id) ?? 0)}, over ${limit.provider}'s upload limit of ${mb(limit.bytes)}: not copied` });
    }
  }

  /**
   * Executes the plan's work; returns what each side it writes to should
   * hold afterwards (ids and flags), to check a fresh checkpoint against.
   */
  private async execute(folders: Record<Side, FolderRef>, folderPairId: number, work: FolderWork, report: FolderReport): Promise<Record<Side, Map<string, readonly string[]>>> {
    const { expected } = work;
    // Flag changes and deletions touch paired messages, copies unpaired ones: both go at once, each with its own
    // commits. All of them are done before the checkpoint. The copies are handed over (taken off as they are done).
    await allDone([this.update(folders, folderPairId, work.updates, expected, report), this.copy(folders, folderPairId, this.sharedCopies(folders, folderPairId, work, report), expected, report)]);
    return expected;
  }

  /** The plan's flag changes and deletions, a batch at a time; `expected` follows them. */
  private async update(folders: Record<Side, FolderRef>, folderPairId: number, updates: PlanStep[], expected: Record<Side, Map<string, readonly string[]>>, report: FolderReport): Promise<void> {
    for (let i = 0; i < updates.length && !this.interrupted(report); i += UPDATE_BATCH) {
      const batch = updates.slice(i, i + UPDATE_BATCH);
      await this.applyUpdates(folders, folderPairId, batch, report);
      for (const step of batch) {
        for (const change of step.setFlags) {
          const flags = new Set(expected[change.side].get(change.id) ?? []);
          for (const flag of change.add) flags.add(flag);
          for (const flag of change.remove) flags.delete(flag);
          expected[change.side].set(change.id, this.flagLists.of(sorted([...flags])));
        }
        for (const ref of step.delete) expected[ref.side].delete(ref.id);
      }
    }
  }

  /**
   * The work's copies, one SharedCopies per way, within the upload limits;
   * `work` gives them up (its queues replaced by empty ones), so that only the
   * copies not done yet are held.
   */
  private sharedCopies(folders: Record<Side, FolderRef>, folderPairId: number, work: FolderWork, report: FolderReport): SharedCopies[] {
    const total = work.copies.left.length + work.copies.right.length;
    if (total > 0) this.current = { folder: folders.left.name, total, done: 0, bytes: 0 };
    const shared: SharedCopies[] = [];
    for (const side of SIDES) {
      const outgoing = work.copies[side];
      work.copies[side] = new CopyQueue(side);
      this.withinUploadLimit(outgoing, side, work.sizes[side], folders, report);
      if (outgoing.length === 0) continue;
      const to = otherSide(side);
      shared.push(
        new SharedCopies({ from: side, folders: { from: folders[side], to: folders[to] }, folderPairId }, outgoing, work.sizes[side], this.batch, (outcome) => {
          this.landed(side, folders, outcome.stored, outcome.bytes, work.expected, report);
          if (outcome.skipped.length) this.skippedCopies(folders[side].name, outcome.skipped, report);
          addErrors(report.errors, ...outcome.errors);
        }),
      );
    }
    if (this.interrupted(report)) for (const copies of shared) copies.stop();
    return shared;
  }

  /** The copies, both ways at once; what landed goes to `expected`. */
  private async copy(folders: Record<Side, FolderRef>, folderPairId: number, shared: SharedCopies[], expected: Record<Side, Map<string, readonly string[]>>, report: FolderReport): Promise<void> {
    // Each way records its intents, stores and commits per batch on its own.
    await allDone(shared.map((copies) => this.copyOut(copies, folders, folderPairId, expected, report)));
  }

  /** Copies from `side` landed on the other side: counted, expected there, and their identities seen on both sides. */
  private landed(side: Side, folders: Record<Side, FolderRef>, stored: LandedCopy[], bytes: number, expected: Record<Side, Map<string, readonly string[]>>, report: FolderReport): void {
    const to = otherSide(side);
    this.seenIdentities?.add(side, folders[side], stored.map((copy) => [copy.sourceId, copy.identity] as const));
    this.seenIdentities?.add(to, folders[to], stored.map((copy) => [copy.id, copy.identity] as const));
    report.copied[to] += stored.length;
    report.bytes += bytes;
    for (const message of stored) expected[to].set(message.id, this.flagLists.of(sorted(message.flags)));
    if (this.current) {
      this.current.done += stored.length;
      this.current.bytes += bytes;
    }
  }

  /** Logs a failed copy; one that ends the account (a full disk, a refused login) the summary tells, so its stack goes to debug. */
  private copyFailed(error: unknown, folder: string): void {
    if (endsAccount(error)) this.context.logger.debug({ err: error, folder }, 'copy failed');
    else this.context.logger.error({ err: error, folder }, 'copy failed');
  }

  private skippedCopies(folder: string, items: SkippedItem[], report: FolderReport): void {
    report.skipped.push(...items);
    this.context.logger.warn({ folder, skipped: items }, 'messages not copied');
  }

  /** The copies from one side to the other, shared with idle engines; what landed goes to `expected` and the report. */
  private async copyOut(shared: SharedCopies, folders: Record<Side, FolderRef>, folderPairId: number, expected: Record<Side, Map<string, readonly string[]>>, report: FolderReport): Promise<void> {
    const side = shared.from;
    const folder = folders[side].name;
    this.shared.set(side, shared);
    await copySteps({
      ...this.copyJob(side, { from: folders[side], to: folders[otherSide(side)] }, folderPairId, shared.sizes),
      steps: shared.pending,
      onBatch: (stored, bytes) => this.landed(side, folders, stored, bytes, expected, report),
      onSkipped: (items) => this.skippedCopies(folder, items, report),
      onError: (error) => {
        shared.stop();
        addErrors(report.errors, reportError(error, folder));
        this.copyFailed(error, folder);
      },
    });
    // Whatever idle engines borrowed is done (or failed) before the checkpoint is taken.
    await shared.settled();
    this.shared.delete(side);
  }

  /**
   * The checkpoint to save for a side this run wrote to. Our own writes make
   * the store look changed next time (a Maildir's mtimes, an IMAP folder's
   * MODSEQ), so a folder would be listed again after every run that changed
   * it, and with it the other side. Instead, scan it once more now (from the
   * run's checkpoint when the store reports changes, else in full): if what
   * changed is exactly what this run expects, the fresh checkpoint is saved;
   * if anything else changed meanwhile, the old one is kept and the next run
   * sees that change.
   */
  private async settledCheckpoint(folder: string, side: Side, scan: ScanSummary, expected: Map<string, readonly string[]>): Promise<string> {
    // A store whose checkpoint is a clock reading lets it move past our last write first, so the next run can trust it.
    const after = await retrying(() => this.repository(side).scan(folder, scan.kind === 'full' ? undefined : scan.checkpoint, { afterWrites: true }));
    const asExpected = (messages: readonly MessageMeta[]) => messages.every((message) => expected.has(message.id) && sameFlags(expected.get(message.id), message.flags));
    if (after.status.uidValidity !== scan.status.uidValidity) return scan.checkpoint;
    if (after.kind === 'full') return after.messages.length === expected.size && asExpected(after.messages) ? after.checkpoint : scan.checkpoint;
    if (after.kind === 'unchanged') return scan.checkpoint;
    return asExpected(after.messages) && after.vanished.every((id) => !expected.has(id)) ? after.checkpoint : scan.checkpoint;
  }

  private get batch(): { messages: number; bytes: number } {
    return { messages: this.options.batchMessages ?? 200, bytes: this.options.batchBytes ?? 2 << 20 };
  }

  /** What every copy from `side` with this engine's connections shares, whoever's folder it is. */
  private copyJob(from: Side, folders: { from: FolderRef; to: FolderRef }, folderPairId: number, sizes: ReadonlyMap<string, number>) {
    return {
      from,
      folders,
      folderPairId,
      sizes,
      source: this.repository(from),
      target: this.repository(from === 'left' ? 'right' : 'left'),
      state: this.state,
      batchMessages: this.batch.messages,
      batchBytes: this.batch.bytes,
      partBytes: this.options.partBytes ?? 4 << 20,
      throttle: this.copyThrottle(),
      log: this.context.logger,
    };
  }

  /** Flag changes and deletions of a batch of steps, then one commit for all of them. */
  private async applyUpdates(folders: Record<Side, FolderRef>, folderPairId: number, steps: PlanStep[], report: FolderReport): Promise<void> {
    // Both sides at once; all of it is done before the commit.
    await allDone(
      SIDES.map(async (side) => {
        const flagChanges = steps.flatMap((step) => step.setFlags.filter((change) => change.side === side));
        if (flagChanges.length) {
          await retrying(() => this.repository(side).setFlags(folders[side], flagChanges.map(({ id, add, remove }) => ({ id, add, remove }))));
          report.flagsChanged[side] += flagChanges.length;
        }
        const deletions = steps.flatMap((step) => step.delete.filter((ref) => ref.side === side)).map((ref) => ref.id);
        if (deletions.length) {
          await retrying(() => this.repository(side).delete(folders[side], deletions));
          report.deleted[side] += deletions.length;
        }
      }),
    );
    report.paired += steps.filter((step) => !step.was && step.becomes?.left !== undefined && step.becomes.right !== undefined).length;
    await this.state.commit(folderPairId, {
      removePairs: steps.flatMap((step) => (step.was ? [pairKey(step.was)] : [])),
      upsertPairs: steps.flatMap((step) => (step.becomes ? [step.becomes] : [])),
    });
  }
}

/**
 * Every message of a side as it is now, from a full scan or from the saved
 * pairs and a scan's changes. A listing with skipped rows proves no absence
 * (a skipped row may be any message): every saved message it does not list
 * is taken as still there, unchanged.
 */
function currentView(side: Side, scan: ScanResult, saved: readonly MessagePair[]): MessageMeta[] {
  if (scan.kind === 'full' && !scan.skipped?.length) return scan.messages;
  const messages = new Map<string, MessageMeta>();
  for (const pair of saved) {
    const id = pair[side];
    if (id !== undefined) messages.set(id, { id, flags: [...heldAtLastSync(pair, side)], size: 0 });
  }
  for (const id of scan.vanished) messages.delete(id);
  for (const message of scan.messages) messages.set(message.id, message);
  return [...messages.values()];
}

/** The messages `select` keeps, and every message already paired (one left out now must not look gone). */
function selectedView(messages: MessageMeta[], saved: readonly MessagePair[], select: MessageSelection): MessageMeta[] {
  const paired = new Set(saved.flatMap((pair) => (pair.left !== undefined ? [pair.left] : [])));
  const now = select.now ?? Date.now();
  return messages.filter((message) => paired.has(message.id) || selects(select, message, now));
}

/** The messages, those without a date given theirs from `dates`. */
function withDates(messages: readonly MessageMeta[], dates: ReadonlyMap<MessageId, number>): MessageMeta[] {
  return messages.map((message) => {
    const internalDate = message.internalDate === undefined ? dates.get(message.id) : undefined;
    return internalDate === undefined ? message : { ...message, internalDate };
  });
}

/** The refused flags grouped by reason, each group's flags sorted. */
function byReason(refused: readonly RefusedFlag[]): Map<string, string[]> {
  const groups = new Map<string, string[]>();
  for (const { flag, reason } of refused) groups.set(reason, [...(groups.get(reason) ?? []), flag]);
  for (const flags of groups.values()) flags.sort();
  return groups;
}

function withoutSide(pair: MessagePair, side: Side): MessagePair {
  const { [side]: _dropped, ...rest } = pair;
  return rest;
}

function pairKey(pair: MessagePair): { left?: string; right?: string } {
  return pair.left !== undefined ? { left: pair.left } : { right: pair.right! };
}

/** What a scan says besides its messages: all that the end of a folder's sync needs of it. */
type ScanSummary = Pick<ScanResult, 'status' | 'checkpoint' | 'kind'>;

/** A planned folder, as `SyncFolder.plan` hands it over to be executed. */
interface PlannedFolder {
  /** Under the UIDVALIDITYs the sides were listed with. */
  folders: Record<Side, FolderRef>;
  scans: Record<Side, ScanSummary>;
  /** The open intents of earlier runs this run settles. */
  intents: Intent[];
  /** Copies held back as unfound (reported) and the marks to close. */
  unfound: { held: SkippedItem[]; settled: Intent[] };
  work: FolderWork;
}

/** A plan's steps by what executes them, with what that needs of the listings. */
interface FolderWork {
  /** Flag changes and deletions. */
  updates: PlanStep[];
  /** Copies, by the side they are copied from. */
  copies: Record<Side, CopyQueue>;
  /** Claimed sizes of the messages copied from each side. */
  sizes: Record<Side, Map<string, number>>;
  /** What each side holds (ids and flags), for a side the plan writes to; empty for the others (never read). */
  expected: Record<Side, Map<string, readonly string[]>>;
}

function folderWork(plan: SyncPlan, view: Record<Side, MessageMeta[]>, flagLists: FlagLists): FolderWork {
  const updates: PlanStep[] = [];
  const copies: Record<Side, CopyQueue> = { left: new CopyQueue('left'), right: new CopyQueue('right') };
  const written = new Set<Side>();
  for (const step of plan.steps) {
    if (step.copy) {
      copies[step.copy.from].push([step]);
      written.add(otherSide(step.copy.from));
    } else {
      updates.push(step);
      for (const change of step.setFlags) written.add(change.side);
      for (const ref of step.delete) written.add(ref.side);
    }
  }
  const sizesOf = (side: Side) => sizesOfCopies(view[side], copies[side]);
  const expectedOf = (side: Side) => (written.has(side) ? flagIndex(view[side], flagLists) : new Map<string, readonly string[]>());
  return { updates, copies, sizes: { left: sizesOf('left'), right: sizesOf('right') }, expected: { left: expectedOf('left'), right: expectedOf('right') } };
}

function flagIndex(messages: readonly MessageMeta[], flagLists: FlagLists): Map<string, readonly string[]> {
  const index = new Map<string, readonly string[]>();
  for (let i = 0; i < messages.length; i++) index.set(messages[i]!.id, flagLists.of(sorted(messages[i]!.flags)));
  return index;
}

function sameFlags(expected: readonly string[] | undefined, actual: readonly string[]): boolean {
  if (!expected || expected.length !== actual.length) return false;
  const have = sorted(actual);
  for (let i = 0; i < have.length; i++) if (expected[i] !== have[i]) return false;
  return true;
}

/** `flags` in code-unit order: the list itself when it is already (most are: a handful of flags, often one or none). */
function sorted(flags: readonly string[]): readonly string[] {
  for (let i = 1; i < flags.length; i++) if (flags[i - 1]! > flags[i]!) return [...flags].sort();
  return flags;
}

/** The flag lists of both sides' messages, in one array. */
function flagListsOf(...views: readonly (readonly MessageMeta[])[]): (readonly string[])[] {
  const lists: (readonly string[])[] = [];
  for (const view of views) for (let i = 0; i < view.length; i++) lists.push(view[i]!.flags);
  return lists;
}

/** The claimed sizes of the messages `copies` copies: those alone, for as long as the copy lasts. */
function sizesOfCopies(messages: readonly MessageMeta[], copies: CopyQueue): Map<string, number> {
  const sizes = new Map<string, number>();
  if (copies.length === 0) return sizes;
  const copied = new Set<string>();
  for (let i = 0; i < copies.length; i++) copied.add(copies.idAt(i));
  for (let i = 0; i < messages.length; i++) if (copied.has(messages[i]!.id)) sizes.set(messages[i]!.id, messages[i]!.size);
  return sizes;
}

function countPlan(plan: SyncPlan, report: FolderReport): void {
  for (const step of plan.steps) {
    if (step.copy) report.copied[step.copy.from === 'left' ? 'right' : 'left'] += 1;
    else if (!step.was && step.becomes?.left !== undefined && step.becomes.right !== undefined) report.paired += 1;
    for (const change of step.setFlags) report.flagsChanged[change.side] += 1;
    for (const ref of step.delete) report.deleted[ref.side] += 1;
  }
}

