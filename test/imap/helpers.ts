import { ImapRepository, type ImapRepositoryOptions } from '../../src/api/repositories/imap.js';
import type { DovecotServer } from '../support/dovecot.js';

/** A repository logged in as `user` (default alice) on a test Dovecot. */
export function repositoryOn(server: DovecotServer, options: Partial<ImapRepositoryOptions> = {}, user = 'alice'): ImapRepository {
  return new ImapRepository({ url: server.url(user), password: { value: server.users[user]! }, ...options });
}

/** Dovecot's post-login capabilities minus the ones named (imap_capability replaces the whole list). */
export function capabilitiesWithout(...hidden: string[]): string {
  const all =
    'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS ' +
    'THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ' +
    'I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE ' +
    'SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY SPECIAL-USE';
  return all
    .split(' ')
    .filter((capability) => !hidden.includes(capability))
    .join(' ');
}

export const encoder = new TextEncoder();
