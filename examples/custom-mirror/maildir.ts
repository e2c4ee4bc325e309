import { MaildirRepository, type ActorContext, type MaildirOptions, type MaildirWarning } from 'imapfw';

/** Local folders of your own under this one are never seen, touched or deleted by the mirror. */
const PRIVATE = 'Local';

/**
 * The local side: a MaildirRepository that keeps a private corner of the
 * Maildir out of the sync, and logs what it tolerated (a stray file, a flag
 * it cannot hold) instead of only collecting it.
 */
export class WorkMaildir extends MaildirRepository {
  private readonly logger: ActorContext['logger'];

  constructor(options: MaildirOptions, context: ActorContext) {
    super(options);
    this.logger = context.logger;
  }

  protected override folderFilter(localName: string): boolean {
    return localName !== PRIVATE && !localName.startsWith(`${PRIVATE}/`);
  }

  protected override warn(warning: MaildirWarning): void {
    this.logger.warn({ folder: warning.folder, path: warning.path }, warning.message);
  }
}
