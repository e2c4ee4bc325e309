import { accountOfUrl } from '../../core/imap/url.js';

/**
 * What a state is of (StateRepositoryOptions.owner): the app, the account it
 * reads and where it writes, a server account named `user@host` (neither
 * the scheme nor the port: moving to the TLS port keeps the state), a
 * Maildir by its path.
 */
export function stateOwner(app: string, source: string, target: string): string {
  const place = (where: string) => (/^imaps?:\/\//i.test(where) ? accountOfUrl(where) : where);
  return `${app} ${place(source)} -> ${place(target)}`;
}
