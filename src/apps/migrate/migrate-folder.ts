import {
  emptyFolderReport,
  folderRef,
  identifyAll,
  reportError,
  retrying,
  selects,
  selectsByAge,
  SeenIdentities,
  SyncFolder,
  type ActorContext,
  type FolderPairNames,
  type FolderReport,
  type SyncFolderOptions,
} from '../../api/index.js';
import { ServerRate, type ServerRateLimit } from '../../contrib/queue/server-rate.js';
import { alike, probeSameFolder, type IdentifiedFolder } from './same-folder.js';
import { compareByIdentity, type FolderVerification } from './verify.js';

export interface MigrateFolderOptions extends SyncFolderOptions {
  /** Create the folders only: copy no message (and check none). */
  justFolders?: boolean;
  /** After the copy, delete on the source the messages verified present on the target. */
  deleteSource?: boolean;
  /** Caps per server shared with every migration that uses the same Redis (queue workers on any host). */
  serverRate?: ServerRateLimit;
}

/** A folder's report with the check of the target and what was deleted on the source. */
export interface MigrateFolderReport extends FolderReport {
  verification?: FolderVerification;
}

/** Messages deleted on the source per request. */
const DELETE_BATCH = 500;

/**
 * The migrate app's folder engine: a SyncFolder (left = source, right =
 * target) that, once the folder is copied, lists both sides afresh and
 * checks that every selected source message is on the target by identity
 * (messages whose identity this run saw already, the copies found again
 * after their APPEND among them, are not identified again). Only then, with `deleteSource`, does it delete on the source
 * exactly the messages it found on the target: never one it did not see there.
 */
export class MigrateFolder extends SyncFolder {
  protected override readonly seenIdentities = new SeenIdentities();
  private readonly migrate: Pick<MigrateFolderOptions, 'justFolders' | 'deleteSource'>;
  private readonly serverRate: ServerRate | undefined;

  constructor(options: MigrateFolderOptions, context: ActorContext) {
    const { justFolders, deleteSource, serverRate, ...sync } = options;
    super(sync, context);
    this.migrate = { justFolders: justFolders === true, deleteSource: deleteSource === true };
    this.serverRate = serverRate ? new ServerRate(serverRate) : undefined;
  }

  async stop(): Promise<void> {
    await this.serverRate?.close();
  }

  /** The account's own limits first, then the servers' shared caps: tokens are taken from the servers only when this copy is about to go. */
  protected override copyThrottle(): ((messages: number, bytes: number) => Promise<void>) | undefined {
    const own = super.copyThrottle();
    const shared = this.serverRate;
    if (!shared) return own;
    return async (messages, bytes) => {
      await own?.(messages, bytes);
      await shared.take(messages, bytes);
    };
  }

  override async run(names: FolderPairNames): Promise<MigrateFolderReport> {
    if (this.migrate.justFolders) return emptyFolderReport(names.left, names.right);
    const report: MigrateFolderReport = await super.run(names);
    // An interrupted folder is checked (and its source messages deleted, with --delete-source) by the run that finishes it.
    if (this.options.dryRun || report.interrupted) return report;
    try {
      let checked = await this.verify(names);
      // Copies gone from the target (dropped by the server after its OK, or deleted since): copy them again now, then check again.
      if (checked.verification.missing > 0 && (await this.dissolveVanishedCopies(names, checked.missing, checked.targetIds)) > 0) {
        addReport(report, await super.run(names));
        checked = await this.verify(names);
      }
      const { verification, verified, source } = checked;
      report.verification = verification;
      // A message in the skipped list is named there with why and what to do (one held back as copied but not found again: running again would not help).
      const held = new Set(report.skipped.flatMap((item) => (item.folder === names.left && item.id !== undefined ? [item.id] : [])));
      const unexplained = checked.missing.filter((id) => !held.has(id)).length;
      if (unexplained > 0) {
        report.errors.push({ folder: names.left, message: `${unexplained} source message(s) not found on the target "${names.right}": run again` });
      }
      if (this.migrate.deleteSource && verified.length > 0 && (await this.distinctFolders(names, checked, report))) {
        for (let i = 0; i < verified.length; i += DELETE_BATCH) {
          const batch = verified.slice(i, i + DELETE_BATCH);
          // Under the UIDVALIDITY the verification listed: after a renumbering, the repository refuses.
          await retrying(() => this.repository('left').delete(source.ref, batch));
          report.deleted.left += batch.length;
        }
      }
    } catch (error) {
      report.errors.push(reportError(error, names.left));
      if ((error as { code?: unknown }).code === 'EAUTH' || (error as { code?: unknown }).code === 'ENETWORK') throw error;
      this.context.logger.error({ err: error, folder: names.left }, 'verification failed');
    }
    return report;
  }

  /**
   * Deletes on the source only if the target folder is another folder: one
   * found to be the source itself, or that cannot be told from it, keeps
   * its source messages, with an error saying why.
   */
  private async distinctFolders(names: FolderPairNames, checked: Verified, report: MigrateFolderReport): Promise<boolean> {
    const { source, target, verified } = checked;
    if (!alike(source, target, verified)) return true;
    const verdict = await probeSameFolder({ source: this.repository('left'), target: this.repository('right') }, { source: source.ref, target: target.ref }, verified[0]!);
    if (verdict === 'same') {
      // A mistake in the command, not in the run: ECONFIG gives exit 2.
      report.errors.push({
        folder: names.left,
        code: 'ECONFIG',
        message: `--delete-source refused: the target folder "${names.right}" is this source folder itself (a keyword set on the target showed on the source), so --to reaches the source account another way; nothing was deleted. Give --to the account to migrate to`,
      });
    } else if (verdict === 'alike') {
      report.errors.push({
        folder: names.left,
        message: `--delete-source withheld: the target folder "${names.right}" cannot be told from the source folder (the same UIDVALIDITY ${source.ref.uidValidity}, every message at the same UID, and the target refused the keyword that would tell them apart); if they are two accounts, delete on the source by hand`,
      });
    }
    return verdict === 'distinct';
  }

  /**
   * A source message whose pair names a target message that is no longer
   * there (the server said OK and dropped it, or it was deleted since) would
   * never be copied again: its pair is dissolved, so the next pass pairs it
   * by identity or copies it. A pair whose target message is still there but
   * does not match by identity is kept: copying again would only add a
   * duplicate. Returns how many pairs were dissolved.
   */
  private async dissolveVanishedCopies(names: FolderPairNames, missing: string[], targetIds: ReadonlySet<string>): Promise<number> {
    const record = await this.state.ensureFolderPair(names.left, names.right);
    const missingIds = new Set(missing);
    const vanished = (await this.state.pairs(record.id)).filter((pair) => pair.left !== undefined && missingIds.has(pair.left) && (pair.right === undefined || !targetIds.has(pair.right)));
    // Without checkpoints both sides are listed in full next time: the messages of the dissolved pairs are seen as new.
    if (vanished.length) await this.state.commit(record.id, { removePairs: vanished.map((pair) => ({ left: pair.left! })), checkpoints: { leftCheckpoint: '', rightCheckpoint: '' } });
    return vanished.length;
  }

  /** Lists both sides in full and compares the selected source messages with the target by identity. */
  private async verify(names: FolderPairNames): Promise<Verified> {
    const [sourceScan, targetScan] = await Promise.all([
      retrying(() => this.repository('left').scan(names.left, undefined, { internalDates: selectsByAge(this.options.select) })),
      retrying(() => this.repository('right').scan(names.right)),
    ]);
    const select = this.options.select;
    const now = select?.now ?? Date.now();
    const selected = sourceScan.messages.filter((message) => selects(select, message, now));
    const refs = { left: folderRef(names.left, sourceScan), right: folderRef(names.right, targetScan) };
    // Afresh but for what this run saw already, under the same UIDVALIDITY: a UID names the same message for as long as that lasts.
    const [sourceIdentities, targetIdentities] = await Promise.all([
      identifyAll(this.repository('left'), refs.left, selected.map((message) => message.id), { known: this.seenIdentities.of('left', refs.left) }),
      identifyAll(this.repository('right'), refs.right, targetScan.messages.map((message) => message.id), { known: this.seenIdentities.of('right', refs.right) }),
    ]);
    const { verification, verified } = compareByIdentity(sourceIdentities, targetIdentities);
    const found = new Set(verified);
    return {
      verification: { ...verification, notSelected: sourceScan.messages.length - selected.length },
      verified,
      missing: [...sourceIdentities.keys()].filter((id) => !found.has(id)),
      targetIds: new Set(targetScan.messages.map((message) => message.id)),
      source: { ref: refs.left, identities: sourceIdentities },
      target: { ref: refs.right, identities: targetIdentities },
    };
  }
}

/** What the check of a folder found, with both folders as listed. */
interface Verified {
  verification: FolderVerification;
  verified: string[];
  missing: string[];
  targetIds: Set<string>;
  source: IdentifiedFolder;
  target: IdentifiedFolder;
}

/** Adds what a second pass over a folder did to the first pass's report. */
function addReport(report: FolderReport, again: FolderReport): void {
  for (const side of ['left', 'right'] as const) {
    report.copied[side] += again.copied[side];
    report.deleted[side] += again.deleted[side];
    report.flagsChanged[side] += again.flagsChanged[side];
  }
  report.paired += again.paired;
  report.bytes += again.bytes;
  report.errors.push(...again.errors);
  report.skipped.push(...again.skipped);
  report.seconds += again.seconds;
}
