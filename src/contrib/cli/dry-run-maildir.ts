import { existsSync } from 'node:fs';
import { MaildirRepository } from '../../api/repositories/maildir.js';
import type { FolderInfo, MaildirOptions } from '../../api/index.js';

export interface DryRunMaildirOptions extends MaildirOptions {
  /**
   * A dry run writes nothing: a Maildir not created yet lists no folders
   * (every folder would be created) instead of failing, one whose INBOX is
   * not made yet lists the folders it has, and a folder never scanned gets
   * no uidValidity file.
   */
  dryRun?: boolean;
}

/** The shipped apps' Maildir: a MaildirRepository that a dry run may point at a Maildir that does not exist yet. */
export class DryRunMaildir extends MaildirRepository {
  private readonly dryRun: boolean;

  constructor(options: DryRunMaildirOptions) {
    const { dryRun, ...maildir } = options;
    super(maildir);
    this.dryRun = dryRun === true;
  }

  protected override writes(): boolean {
    return !this.dryRun;
  }

  override async listFolders(): Promise<FolderInfo[]> {
    if (this.dryRun && !existsSync(this.options.root)) return [];
    return super.listFolders();
  }
}
