import type { ActorContext, Remote } from '../app.js';
import type { FolderPairRecord, StateStore } from '../state/types.js';
import type { FolderInfo, FolderStatus, Repository, Side } from '../types.js';
import { StoreError } from '../errors.js';
import { emptyFolderReport, endsAccount, recordFolderFailure, reportError, type FolderReport, type ReportedError, type SkippedItem } from './folder-report.js';
import { folderRef } from '../folder-ref.js';
import { folderKey, followMoves, type MoveOutcome } from './local-moves.js';
import { checkpointOf } from './checkpoints.js';
import { folderMapper, type FolderMapSpec } from './folder-map.js';
import type { FolderPairNames, SyncFolder } from './sync-folder.js';
import type { LentOutcome } from './shared-copies.js';
import { PollWait } from './poll-wait.js';

/** How often an idle engine asks the running folders again for copies to take (they may still be scanning). */
const HELP_POLL_MS = 20;

export interface SyncAccountOptions {
  /** Actor names of the repositories used for folder operations, and of the state store. */
  left: string;
  right: string;
  state: string;
  /** Actor names of the SyncFolder engines: one folder each at a time. */
  engines: string[];
  /** Globs on folder names: only folders matching one of `include` (default: all) and none of `exclude`. */
  include?: string[];
  exclude?: string[];
  /** Create a folder on this side when it exists only on the other. */
  create: Record<Side, boolean>;
  /** Remove a folder on this side when its synced peer was removed on the other (its messages too). */
  remove: Record<Side, boolean>;
  /**
   * A folder synced before and deleted since on this side is created again
   * (with `create` on this side) and filled anew from the other side, which
   * it follows (`mirror`: the Maildir follows the server), instead of being
   * left out of every later run.
   */
  restore?: Partial<Record<Side, boolean>>;
  /** Never remove a folder that still holds messages: keep it, with a warning in the report (`sync`). */
  keepNonEmpty?: boolean;
  /**
   * Follow messages moved between folders on this side with a move on the
   * other side, instead of a copy and a delete (see local-moves.ts): `right`
   * for moves in the Maildir, `left` for folders renamed and messages moved
   * on the server.
   * Only when the policy propagates both `new` and `gone` from that side.
   */
  moves?: Partial<Record<Side, boolean>>;
  dryRun?: boolean;
  /**
   * Pair each left folder X with the right folder map(X) (regex rules,
   * automap by role, prefixes: see folder-map.ts) instead of by equal names.
   * The mapping is one-way: `include`/`exclude` match left names, folders
   * only on the right are left alone, and a missing right folder is created
   * (again, if it was synced before) when `create.right` is set.
   */
  folderMap?: FolderMapSpec;
  /** What the report calls each side ('the server', 'the Maildir'); default 'the left side', 'the right side'. */
  sideNames?: Record<Side, string>;
}

export interface AccountReport {
  folders: FolderReport[];
  /** 'right:Archive', one per folder created (or, on a dry run, to create). */
  createdFolders: string[];
  removedFolders: string[];
  /** Folders whose synced peer is gone, kept because the policy does not remove folders. */
  keptFolders: string[];
  /** One line per message moved between folders to follow a move on the other side (on a dry run: to move). */
  moves?: string[];
  /** What the user should know that is not a failure: a non-empty folder kept, a move given up (then copied). */
  warnings?: ReportedError[];
  /** Failures outside any one folder (folder failures are in `folders`). */
  errors: ReportedError[];
  /** The pass stopped early on an interrupt (SyncAccount.interrupt): folders not started are not in `folders`. */
  interrupted?: boolean;
  /** Folders (and messages) left out outside any one folder's sync, with the reason (those of a folder's sync are in `folders`). */
  skipped: SkippedItem[];
  seconds: number;
}

const other = (side: Side): Side => (side === 'left' ? 'right' : 'left');

/**
 * The SyncAccount engine: lists both sides, pairs folders by name (each
 * repository already applied its own filter and name translation), creates
 * or removes folders per policy, then hands folder pairs to the SyncFolder
 * engines, one folder per engine at a time.
 */
export class SyncAccount {
  protected readonly options: SyncAccountOptions;
  protected readonly context: ActorContext;

  /** Set by interrupt(): no folder is started any more. */
  private interrupting = false;

  constructor(options: SyncAccountOptions, context: ActorContext) {
    this.options = options;
    this.context = context;
  }

  /**
   * Winds the pass down (a signal: see Runtime.onInterrupt): no folder is
   * started any more, and each engine finishes its batches in flight and
   * stops (SyncFolder.interrupt). run() then returns what was done, its
   * report marked `interrupted`.
   */
  async interrupt(): Promise<void> {
    this.interrupting = true;
    await Promise.all(this.options.engines.map((name) => this.context.peer<SyncFolder>(name).interrupt()));
  }

  /**
   * The first connections log in as this actor starts, while the run's other actors are still loading: the
   * server's greeting and login overlap the start instead of following it. A failure here is the listing's.
   */
  start(): void {
    for (const side of ['left', 'right'] as const) this.repository(side).connect().catch(() => undefined);
  }

  /**
   * One pass over the account; with `only` (folder names, the left side's
   * under a folder map), over those folders alone: a daemon syncs only the
   * folders it heard changed. A folder of `only` missing on one side is
   * created or removed there as in a full pass, and a message moved between
   * a folder of `only` and another synced folder is followed as a move.
   */
  async run(only?: string[]): Promise<AccountReport> {
    const started = performance.now();
    const report: AccountReport = { folders: [], createdFolders: [], removedFolders: [], keptFolders: [], errors: [], skipped: [], seconds: 0 };
    const inScope = await this.inScope();
    const asked = only && new Set(only);
    const wanted = asked ? (name: string) => asked.has(name) && inScope(name) : inScope;
    // The state opens (SQLite loads) while the servers list.
    const reading = this.state.folderPairs();
    // A side's folder that cannot be synced is reported when the side's folders go to the other (created there), not
    // when they only receive: a mirror has no business with a local folder it cannot read.
    const [leftFolders, rightFolders] = (await Promise.all([this.repository('left').listFolders(), this.repository('right').listFolders()])).map((folders, i) =>
      usable(folders, wanted, this.options.create[i === 0 ? 'right' : 'left'] ? report : undefined),
    ) as [FolderInfo[], FolderInfo[]];
    const names: Record<Side, Set<string>> = { left: selectable(leftFolders), right: selectable(rightFolders) };
    const containers: Record<Side, Set<string>> = { left: noSelect(leftFolders), right: noSelect(rightFolders) };
    const records = await reading;
    const synced = new Set(records.map((pair) => pair.left));
    const pairs: FolderPairNames[] = [];
    const gone: { name: string; missing: Side }[] = [];

    if (this.options.folderMap) pairs.push(...(await this.mappedPairs(leftFolders, rightFolders, wanted, report)));
    const twins = this.options.folderMap ? new Map<string, string>() : levelTwins(names, synced);
    for (const name of this.options.folderMap ? [] : [...new Set([...names.left, ...names.right])].sort()) {
      if (!wanted(name)) continue;
      const present = { left: names.left.has(name), right: names.right.has(name) };
      if (present.left && present.right) {
        pairs.push({ left: name, right: name });
        continue;
      }
      const missing: Side = present.left ? 'right' : 'left';
      // A parent that only holds folders there (\Noselect: 'Lists' above 'Lists/dev' on a server) is not missing:
      // a Maildir cannot hold such a parent, it has an empty real folder instead.
      if (containers[missing].has(name)) continue;
      const pair = { left: name, right: name, ...(this.options.dryRun ? { absent: missing } : {}) };
      const twin = twins.get(name);
      if (twin !== undefined) {
        const [left, right] = missing === 'right' ? [name, twin] : [twin, name];
        report.skipped.push({
          folder: name,
          reason: `"${left}" (left) and "${right}" (right) differ only where one has "/" and the other "." (offlineimap's layout, sep = ".", reads every "." as a level): neither is created on the other side. If they are one folder, rename the right one's directory to what imapfw writes for "${left}" (a "." within a name as %2E)`,
        });
      } else if (!synced.has(name)) {
        if (this.options.create[missing] && (await this.created(missing, name, name, report))) pairs.push(pair);
      } else if (this.options.restore?.[missing] && this.options.create[missing]) {
        if (await this.restored(missing, name, report)) pairs.push(pair);
      } else {
        gone.push({ name, missing });
      }
    }
    const listed = { left: statusByName(leftFolders), right: statusByName(rightFolders) };
    const statusOf = (pair: FolderPairNames) => ({ left: listed.left.get(pair.left), right: listed.right.get(pair.right) });
    // As many engines as there are folders to open log in now, while moves are followed and folders removed, not when
    // their first folder comes (engine-0 shares the connection that listed). A failure comes again from the engine's first call.
    // A pass limited to some folders also asks of the others a full pass would take: a server move has an end there.
    const near = only ? nearby(pairs, records, names, inScope) : [];
    const leftChanged = await this.leftChanged([...pairs, ...near], records, statusOf);
    const toOpen = leftChanged.slice(0, pairs.length).filter((listed) => listed.changed !== false).length;
    for (const engine of this.options.engines.slice(1, toOpen)) this.context.peer<SyncFolder>(engine).connect().catch(() => undefined);
    // After creating folders (moves may go into new ones), before removing any (moves may empty them).
    const follows = this.options.moves?.left || this.options.moves?.right;
    const serverChanged = [...pairs, ...near].flatMap((pair, i) => (leftChanged[i]!.changed ? [{ pair, lost: !leftChanged[i]!.kept }] : []));
    const moves = follows ? await this.followMoves(pairs, near, gone, records, serverChanged, report) : undefined;
    for (const { name, missing } of gone) {
      try {
        await this.peerGone(name, missing, report, moves);
      } catch (error) {
        recordFolderFailure(error, name, report);
      }
    }
    // A move changed folders since they were listed: their listed status is stale.
    const withStatus = (pair: FolderPairNames): FolderPairNames => (moves?.moved ? pair : { ...pair, status: statusOf(pair) });
    await this.syncAll(pairs.map((pair) => withStatus(moves ? withMoves(pair, moves) : pair)), report);
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  /**
   * Per pair, what the left store's listing tells of its left folder since
   * the last run: `changed` false when proven unchanged (no engine opens it),
   * true when it shows a change, undefined when it cannot tell (no status
   * listed, or never synced); `kept` when it proves no message left it.
   */
  private async leftChanged(
    pairs: FolderPairNames[],
    records: FolderPairRecord[],
    statusOf: (pair: FolderPairNames) => Partial<Record<Side, FolderStatus>>,
  ): Promise<{ changed?: boolean; kept: boolean }[]> {
    const saved = new Map(records.map((record) => [folderKey(record), checkpointOf(record.leftCheckpoint)]));
    const repository = this.repository('left');
    return Promise.all(
      pairs.map(async (pair) => {
        const [listed, checkpoint] = [statusOf(pair).left, saved.get(folderKey(pair))];
        if (!listed || !checkpoint) return { kept: false };
        if (await repository.listedUnchanged(checkpoint, listed)) return { changed: false, kept: true };
        return { changed: true, kept: await repository.listedKept(checkpoint, listed) };
      }),
    );
  }

  protected repository(side: Side): Remote<Repository> {
    return this.context.peer<Repository>(this.options[side]);
  }

  protected get state(): Remote<StateStore> {
    return this.context.peer<StateStore>(this.options.state);
  }

  /**
   * Creates `name` on `side` (on a dry run, only says so) for the folder
   * `source` of the other side; false when it failed: a name the store cannot
   * hold is skipped, a refusal is that folder's error, the rest goes on.
   */
  private async created(side: Side, name: string, source: string, report: AccountReport): Promise<boolean> {
    try {
      if (!this.options.dryRun) await this.repository(side).createFolder(name);
    } catch (error) {
      recordFolderFailure(error, source, report);
      return false;
    }
    report.createdFolders.push(`${side}:${name}`);
    return true;
  }

  /** What the report calls `side` (SyncAccountOptions.sideNames). */
  private sideName(side: Side): string {
    return this.options.sideNames?.[side] ?? `the ${side} side`;
  }

  /**
   * Creates again on `side` a synced folder deleted there (`restore`) and
   * forgets its pair, so that it is synced as a new folder; false when the
   * store refused (recorded: the next run tries again).
   */
  private async restored(side: Side, name: string, report: AccountReport): Promise<boolean> {
    if (!(await this.created(side, name, name, report))) return false;
    if (!this.options.dryRun) await this.forgetFolderPair(name);
    (report.warnings ??= []).push({
      folder: name,
      message: `deleted from ${this.sideName(side)} since the last run: ${this.options.dryRun ? 'would be created' : 'created'} there again and filled anew from ${this.sideName(other(side))}, which it follows (exclude the folder to leave it out)`,
    });
    return true;
  }

  /** The folder pairs under `folderMap`: each wanted left folder with the right folder it maps to, created if missing. */
  private async mappedPairs(leftFolders: FolderInfo[], rightFolders: FolderInfo[], wanted: (name: string) => boolean, report: AccountReport): Promise<FolderPairNames[]> {
    const map = folderMapper(this.options.folderMap!, leftFolders, rightFolders);
    const right = selectable(rightFolders);
    const pairs: FolderPairNames[] = [];
    const created = new Set<string>();
    for (const left of [...selectable(leftFolders)].sort()) {
      if (!wanted(left)) continue;
      let target: string;
      try {
        target = map(left);
      } catch (error) {
        recordFolderFailure(error, left, report);
        continue;
      }
      if (right.has(target) || created.has(target)) pairs.push({ left, right: target, ...(this.options.dryRun && !right.has(target) ? { absent: 'right' as const } : {}) });
      else if (this.options.create.right && (await this.created('right', target, left, report))) {
        created.add(target);
        pairs.push({ left, right: target, ...(this.options.dryRun ? { absent: 'right' as const } : {}) });
      }
    }
    return pairs;
  }

  private async followMoves(
    pairs: FolderPairNames[],
    nearby: FolderPairNames[],
    gone: { name: string; missing: Side }[],
    records: FolderPairRecord[],
    serverChanged: { pair: FolderPairNames; lost: boolean }[],
    report: AccountReport,
  ): Promise<MoveOutcome> {
    const outcome = await followMoves({
      sides: this.options.moves ?? {},
      pairs,
      nearby,
      serverChanged,
      gone,
      records,
      repositories: { left: this.repository('left'), right: this.repository('right') },
      state: this.state,
      dryRun: this.options.dryRun === true,
    });
    report.moves = outcome.lines;
    if (outcome.warnings.length) (report.warnings ??= []).push(...outcome.warnings);
    return outcome;
  }

  /**
   * A folder synced before is gone on `missing`: remove its peer, or keep it
   * and say so. A Maildir folder whose every message followed a rename on
   * the server (moves) goes too, whatever `remove` says: its name was
   * renamed, and nothing is left in it.
   */
  private async peerGone(name: string, missing: Side, report: AccountReport, moves?: MoveOutcome): Promise<void> {
    const survivor = other(missing);
    const repository = this.repository(survivor);
    const key = folderKey({ left: name, right: name });
    // On a dry run the moves out of the folder are only planned: they count as done.
    const movedOut = new Set(moves?.skip.get(key)?.[survivor] ?? []);
    // Listed at most once, and only when asked.
    let counted: Promise<number> | undefined;
    const remaining = () => (counted ??= repository.scan(name).then((scan) => scan.messages.filter((message) => !movedOut.has(message.id)).length));
    const renamedAway = survivor === 'right' && moves?.emptied.has(key) === true && (await remaining()) === 0;
    if (!this.options.remove[survivor] && !renamedAway) {
      report.keptFolders.push(`${survivor}:${name}`);
      return;
    }
    if (this.options.keepNonEmpty && !renamedAway) {
      const left = await remaining();
      if (left > 0) {
        report.keptFolders.push(`${survivor}:${name}`);
        (report.warnings ??= []).push({
          folder: name,
          message: `not removed from ${this.sideName(survivor)}: the folder was deleted from ${this.sideName(missing)} but still holds ${left} message(s) there; move or delete them, then run again`,
        });
        return;
      }
    }
    if (!this.options.dryRun) {
      try {
        const scan = await repository.scan(name);
        if (scan.messages.length) await repository.delete(folderRef(name, scan), scan.messages.map((message) => message.id));
        await repository.deleteFolder(name);
      } catch (error) {
        if (endsAccount(error)) throw error;
        // Gone on this side too: nothing left to remove. Otherwise the store keeps the folder (a special-use
        // folder, a protected Trash): the pair is forgotten, so that the next run syncs it as a new folder, not again as gone.
        await this.forgetFolderPair(name);
        if ((error as { code?: unknown }).code === 'EFOLDERGONE') return;
        throw new StoreError(
          `could not be removed from ${this.sideName(survivor)} after it was deleted from ${this.sideName(missing)}: ${reportError(error).message}. It is kept, and synced again as a new folder from the next run`,
          { cause: error },
        );
      }
      await this.forgetFolderPair(name);
    }
    report.removedFolders.push(`${survivor}:${name}`);
  }

  private async forgetFolderPair(left: string): Promise<void> {
    const pair = (await this.state.folderPairs()).find((candidate) => candidate.left === left);
    if (pair) await this.state.removeFolderPair(pair.id);
  }

  /**
   * Runs the folder pairs on the engines, each engine taking the next folder
   * when it is done. When no folder is left to start, an idle engine helps
   * the folders still running: it borrows chunks of their copies and copies
   * them with its own connections (SyncFolder.lend), so that the end of a
   * big folder does not run at one connection. A refused login, or a server
   * that could not be reached or stopped answering (after the retries), ends
   * the run: the next folders would only wait for the same failure.
   */
  private async syncAll(pairs: FolderPairNames[], report: AccountReport): Promise<void> {
    const queue = [...pairs];
    /** Engines running a folder now. */
    const running = new Set<string>();
    /** Idle engines wait here between asks; a folder's end wakes them, so the last one's end ends the run at once. */
    const idle = new PollWait();
    let failed = false;
    const stopsRun = (failure: ReportedError) => {
      if (endsAccount(failure)) failed = true;
    };
    const stopped = () => failed || this.interrupting;
    const work = async (engineName: string) => {
      const engine = this.context.peer<SyncFolder>(engineName);
      for (let next = queue.shift(); next && !stopped(); next = queue.shift()) {
        running.add(engineName);
        try {
          const done = await engine.run(next);
          report.folders.push(done);
          // A full local store fails a folder's copy, not the folder: the next folders would download for nothing.
          for (const failure of done.errors) if (failure.code === 'ENOSPACE') stopsRun(failure);
        } catch (error) {
          const failure = reportError(error, next.left);
          stopsRun(failure);
          report.folders.push({ ...emptyFolderReport(next.left, next.right), errors: [failure] });
        } finally {
          running.delete(engineName);
          idle.wake();
        }
      }
      while (!stopped() && running.size > 0) {
        // A folder that ends while this engine asks for copies wakes no one yet: the generation says it did.
        const looked = idle.generation;
        if (!(await this.helpOnce(engine, running, stopsRun))) await idle.wait(HELP_POLL_MS, looked);
      }
    };
    await Promise.all(this.options.engines.map(work));
    if (this.interrupting || report.folders.some((folder) => folder.interrupted)) report.interrupted = true;
    // Code-unit order, as the folders were taken: localeCompare would set ICU's collator up (8-13 ms) for the report alone.
    report.folders.sort((a, b) => (a.left < b.left ? -1 : a.left > b.left ? 1 : 0));
  }

  /**
   * Borrows one chunk of copies from a running folder and copies it with
   * `helper`; false when none had any to lend now. The outcome always goes
   * back to the folder's engine, a failure too: it waits for every chunk
   * before it takes its checkpoint.
   */
  private async helpOnce(helper: Remote<SyncFolder>, running: ReadonlySet<string>, stopsRun: (failure: ReportedError) => void): Promise<boolean> {
    for (const ownerName of running) {
      const owner = this.context.peer<SyncFolder>(ownerName);
      // An engine that failed as a whole reports it from its run().
      const copies = await owner.lend().catch(() => undefined);
      if (!copies) continue;
      let outcome: LentOutcome;
      try {
        outcome = await helper.copyLent(copies);
      } catch (error) {
        const failure = reportError(error, copies.folders.from.name);
        stopsRun(failure);
        outcome = { stored: [], bytes: 0, skipped: [], errors: [failure] };
      }
      await owner.returnLent(copies.from, outcome).catch(() => undefined);
      return true;
    }
    return false;
  }

  /** Which folders a full pass takes (include and exclude); picomatch loads only when there are patterns. */
  private async inScope(): Promise<(name: string) => boolean> {
    const patterns = this.options.include?.length || this.options.exclude?.length ? (await import('picomatch')).default : undefined;
    const include = patterns && this.options.include?.length ? patterns(this.options.include) : () => true;
    const exclude = patterns && this.options.exclude?.length ? patterns(this.options.exclude) : () => false;
    return (name) => include(name) && !exclude(name);
  }
}

/** In a pass limited to some folders, the other synced folder pairs a full pass would take, present on both sides. */
function nearby(pairs: FolderPairNames[], records: FolderPairRecord[], names: Record<Side, Set<string>>, inScope: (name: string) => boolean): FolderPairNames[] {
  const taken = new Set(pairs.map(folderKey));
  return records
    .filter((record) => !taken.has(folderKey(record)) && inScope(record.left) && names.left.has(record.left) && names.right.has(record.right))
    .map((record) => ({ left: record.left, right: record.right }));
}

/**
 * Folders never synced, each on one side only, whose names differ only in
 * "/" against "." ('Lists/node.js' on the server, 'Lists/node/js' read from
 * offlineimap's 'Lists.node.js'): likely one folder, so each is mapped to the
 * other and neither is created, where creating both would copy its mail twice.
 */
function levelTwins(names: Record<Side, Set<string>>, synced: ReadonlySet<string>): Map<string, string> {
  const dotted = (name: string) => name.replaceAll('/', '.');
  const onlyRight = new Map<string, string>();
  for (const name of names.right) if (!names.left.has(name) && !synced.has(name)) onlyRight.set(dotted(name), name);
  const twins = new Map<string, string>();
  for (const name of names.left) {
    const twin = names.right.has(name) || synced.has(name) ? undefined : onlyRight.get(dotted(name));
    if (twin === undefined || twin === name) continue;
    twins.set(name, twin);
    twins.set(twin, name);
  }
  return twins;
}

/** A folder pair with what the moves left for its sync: the ids to leave out (dry run), a side already listed. */
function withMoves(pair: FolderPairNames, moves: MoveOutcome): FolderPairNames {
  const skip = moves.skip.get(folderKey(pair));
  const listed = moves.listed.get(folderKey(pair));
  return { ...pair, ...(skip ? { skip } : {}), ...(listed ? { listed } : {}) };
}

/** The folders of a listing that can be synced; the wanted ones the store listed but cannot sync go to `report`'s skipped list. */
function usable(folders: FolderInfo[], wanted: (name: string) => boolean, report: AccountReport | undefined): FolderInfo[] {
  for (const folder of folders) if (report && folder.skipped !== undefined && wanted(folder.name)) report.skipped.push({ folder: folder.name, reason: folder.skipped });
  return folders.filter((folder) => folder.skipped === undefined);
}

function statusByName(folders: FolderInfo[]): Map<string, FolderStatus> {
  return new Map(folders.flatMap((folder) => (folder.status ? [[folder.name, folder.status] as const] : [])));
}

function selectable(folders: FolderInfo[]): Set<string> {
  return new Set(folders.filter((folder) => !folder.noSelect).map((folder) => folder.name));
}

function noSelect(folders: FolderInfo[]): Set<string> {
  return new Set(folders.filter((folder) => folder.noSelect).map((folder) => folder.name));
}
