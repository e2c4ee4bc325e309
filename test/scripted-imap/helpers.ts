import { ImapRepository, type ImapRepositoryOptions } from '../../src/api/repositories/imap.js';
import type { ScriptedImapServer } from '../support/scripted-imap/index.js';

/** A repository logged in as `user` (default alice) on a scripted server. */
export function repositoryOnScripted(server: ScriptedImapServer, options: Partial<ImapRepositoryOptions> = {}, user = 'alice'): ImapRepository {
  return new ImapRepository({ url: server.url(user), password: { value: server.users[user]! }, ...options });
}
