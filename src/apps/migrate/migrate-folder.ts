import {
  emptyFolderReport,
  folderRef,
  identifyAll,
  reportError,
  retrying,
  selects,
  SyncFolder,
  type ActorContext,
  type FolderPairNames,
  type FolderRef,
  type FolderReport,
  type SyncFolderOptions,
} from '../../api/index.js';
import { compareByIdentity, type FolderVerification } from './verify.js';

export interface MigrateFolderOptions extends SyncFolderOptions {
  /** Create the folders only: copy no message (and check none). */
  justFolders?: boolean;
  /** After the copy, delete on the source the messages verified present on the target. */
  deleteSource?: boolean;
}

/** A folder's report with the check of the target and what was deleted on the source. */
export interface MigrateFolderReport extends FolderReport {
  verification?: FolderVerification;
}

/** Messages deleted on the source per request. */
const DELETE_BATCH = 500;

/**
 * The migrate app's folder engine: a SyncFolder (left = source, right =
 * target) that, once the folder is copied, lists and identifies both sides
 * afresh and checks that every selected source message is on the target by
 * identity. Only then, with `deleteSource`, does it delete on the source
 * exactly the messages it found on the target: never one it did not see there.
 */
export class MigrateFolder extends SyncFolder {
  private readonly migrate: Pick<MigrateFolderOptions, 'justFolders' | 'deleteSource'>;

  constructor(options: MigrateFolderOptions, context: ActorContext) {
    const { justFolders, deleteSource, ...sync } = options;
    super(sync, context);
    this.migrate = { justFolders: justFolders === true, deleteSource: deleteSource === true };
  }

  override async run(names: FolderPairNames): Promise<MigrateFolderReport> {
    if (this.migrate.justFolders) return emptyFolderReport(names.left, names.right);
    const report: MigrateFolderReport = await super.run(names);
    if (this.options.dryRun) return report;
    try {
      const { verification, verified, source } = await this.verify(names);
      report.verification = verification;
      if (verification.missing > 0) {
        report.errors.push({ folder: names.left, message: `${verification.missing} source message(s) not found on the target "${names.right}": run again` });
      }
      if (this.migrate.deleteSource && verified.length > 0) {
        for (let i = 0; i < verified.length; i += DELETE_BATCH) {
          const batch = verified.slice(i, i + DELETE_BATCH);
          // Under the UIDVALIDITY the verification listed: after a renumbering, the repository refuses.
          await retrying(() => this.repository('left').delete(source, batch));
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

  /** Lists both sides in full and compares the selected source messages with the target by identity. */
  private async verify(names: FolderPairNames): Promise<{ verification: FolderVerification; verified: string[]; source: FolderRef }> {
    const [source, target] = await Promise.all([
      retrying(() => this.repository('left').scan(names.left)),
      retrying(() => this.repository('right').scan(names.right)),
    ]);
    const select = this.options.select;
    const now = select?.now ?? Date.now();
    const selected = source.messages.filter((message) => selects(select, message, now));
    const [sourceIdentities, targetIdentities] = await Promise.all([
      identifyAll(this.repository('left'), folderRef(names.left, source), selected.map((message) => message.id)),
      identifyAll(this.repository('right'), folderRef(names.right, target), target.messages.map((message) => message.id)),
    ]);
    const { verification, verified } = compareByIdentity(sourceIdentities, targetIdentities);
    return { verification: { ...verification, notSelected: source.messages.length - selected.length }, verified, source: folderRef(names.left, source) };
  }
}
