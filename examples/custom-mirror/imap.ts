import { ImapRepository } from 'imapfw';

/** Server folders this mirror never looks at. */
const SKIPPED = new Set(['Trash', 'Junk']);

/** Server folder -> local name. Keep it one-to-one: no two server folders may get the same local name. */
const RENAMES: Record<string, string> = { 'Sent Items': 'Sent', 'Deleted Items': 'Deleted' };
const RENAMED_BACK = Object.fromEntries(Object.entries(RENAMES).map(([server, local]) => [local, server]));

/**
 * The server side: an ImapRepository with the offlineimap-style hooks.
 * `folderFilter` sees server names; `nameTrans` turns a server name into
 * the name the rest of the app (and the Maildir) uses, `nameTransBack`
 * turns it back: `nameTransBack(nameTrans(x)) === x` for every folder kept.
 */
export class WorkImap extends ImapRepository {
  override folderFilter(name: string): boolean {
    return !SKIPPED.has(name);
  }

  override nameTrans(name: string): string {
    return RENAMES[name] ?? name;
  }

  override nameTransBack(name: string): string {
    return RENAMED_BACK[name] ?? name;
  }
}
