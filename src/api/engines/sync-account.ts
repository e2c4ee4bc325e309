import picomatch from 'picomatch';
import type { ActorContext, Remote } from '../app.js';
import type { StateStore } from '../state/types.js';
import type { FolderInfo, Repository, Side } from '../types.js';
import { emptyFolderReport, reportError, type FolderReport, type ReportedError } from './folder-report.js';
import type { FolderPairNames, SyncFolder } from './sync-folder.js';

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
  dryRun?: boolean;
}

export interface AccountReport {
  folders: FolderReport[];
  /** 'right:Archive', one per folder created (or, on a dry run, to create). */
  createdFolders: string[];
  removedFolders: string[];
  /** Folders whose synced peer is gone, kept because the policy does not remove folders. */
  keptFolders: string[];
  /** Failures outside any one folder (folder failures are in `folders`). */
  errors: ReportedError[];
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

  constructor(options: SyncAccountOptions, context: ActorContext) {
    this.options = options;
    this.context = context;
  }

  async run(): Promise<AccountReport> {
    const started = performance.now();
    const report: AccountReport = { folders: [], createdFolders: [], removedFolders: [], keptFolders: [], errors: [], seconds: 0 };
    const [leftFolders, rightFolders] = await Promise.all([this.repository('left').listFolders(), this.repository('right').listFolders()]);
    const names: Record<Side, Set<string>> = { left: selectable(leftFolders), right: selectable(rightFolders) };
    const wanted = this.matcher();
    const synced = new Set((await this.state.folderPairs()).map((pair) => pair.left));
    const pairs: FolderPairNames[] = [];

    for (const name of [...new Set([...names.left, ...names.right])].sort()) {
      if (!wanted(name)) continue;
      const present = { left: names.left.has(name), right: names.right.has(name) };
      if (present.left && present.right) {
        pairs.push({ left: name, right: name });
        continue;
      }
      const missing: Side = present.left ? 'right' : 'left';
      if (synced.has(name)) await this.peerGone(name, missing, report);
      else if (this.options.create[missing]) {
        report.createdFolders.push(`${missing}:${name}`);
        if (this.options.dryRun) pairs.push({ left: name, right: name, absent: missing });
        else {
          await this.repository(missing).createFolder(name);
          pairs.push({ left: name, right: name });
        }
      }
    }
    await this.syncAll(pairs, report);
    report.seconds = (performance.now() - started) / 1000;
    return report;
  }

  protected repository(side: Side): Remote<Repository> {
    return this.context.peer<Repository>(this.options[side]);
  }

  protected get state(): Remote<StateStore> {
    return this.context.peer<StateStore>(this.options.state);
  }

  /** A folder synced before is gone on `missing`: remove its peer, or keep it and say so. */
  private async peerGone(name: string, missing: Side, report: AccountReport): Promise<void> {
    const survivor = other(missing);
    if (!this.options.remove[survivor]) {
      report.keptFolders.push(`${survivor}:${name}`);
      return;
    }
    report.removedFolders.push(`${survivor}:${name}`);
    if (this.options.dryRun) return;
    const repository = this.repository(survivor);
    const scan = await repository.scan(name);
    if (scan.messages.length) await repository.delete(name, scan.messages.map((message) => message.id));
    await repository.deleteFolder(name);
    const pair = (await this.state.folderPairs()).find((candidate) => candidate.left === name);
    if (pair) await this.state.removeFolderPair(pair.id);
  }

  /** Runs the folder pairs on the engines, each engine taking the next folder when it is done. */
  private async syncAll(pairs: FolderPairNames[], report: AccountReport): Promise<void> {
    const queue = [...pairs];
    let authFailed = false;
    const work = async (engineName: string) => {
      const engine = this.context.peer<SyncFolder>(engineName);
      for (let next = queue.shift(); next && !authFailed; next = queue.shift()) {
        try {
          report.folders.push(await engine.run(next));
        } catch (error) {
          const failure = reportError(error, next.left);
          if (failure.code === 'EAUTH') authFailed = true;
          report.folders.push({ ...emptyFolderReport(next.left, next.right), errors: [failure] });
        }
      }
    };
    await Promise.all(this.options.engines.map(work));
    report.folders.sort((a, b) => a.left.localeCompare(b.left));
  }

  private matcher(): (name: string) => boolean {
    const include = this.options.include?.length ? picomatch(this.options.include) : () => true;
    const exclude = this.options.exclude?.length ? picomatch(this.options.exclude) : () => false;
    return (name) => include(name) && !exclude(name);
  }
}

function selectable(folders: FolderInfo[]): Set<string> {
  return new Set(folders.filter((folder) => !folder.noSelect).map((folder) => folder.name));
}
