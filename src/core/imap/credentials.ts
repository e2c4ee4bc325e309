import { AuthError, ConfigError } from '../../api/errors.js';
import { currentAccessToken } from '../oauth2/tokens.js';
import { isOAuth2Source, readPassword, secretFromCommand, type PasswordSource } from './password.js';

/** What one login sends: a password, or an OAuth2 access token (XOAUTH2 / OAUTHBEARER). */
export type Login = { password: string } | { accessToken: string };

/** Gives the credentials of each (re)connection of one account. */
export interface Credentials {
  /** For the next login; `refused` is the access token the server just refused, so that a fresh one is fetched. */
  login(refused?: string): Promise<Login>;
  /** What to tell the user when the server refuses what `login` gave. */
  readonly refusedHint: string;
}

/**
 * A password is read once and reused for every connection. An access token
 * is asked for at each login: a token command runs again (it knows whether
 * its token is still good), the built-in login refreshes when needed.
 */
export function credentialsFrom(source: PasswordSource, account: string): Credentials {
  if (!isOAuth2Source(source)) {
    let password: Promise<string> | undefined;
    return {
      login: async () => ({ password: await (password ??= readPassword(source, account)) }),
      refusedHint: 'check the user name and the password',
    };
  }
  if ('oauth2Command' in source) {
    if (typeof source.oauth2Command !== 'string' || source.oauth2Command === '') throw new ConfigError(`password.oauth2Command for ${account} is empty`);
    return {
      login: async () => ({ accessToken: await secretFromCommand(source.oauth2Command, `the OAuth2 token command for ${account}`) }),
      refusedHint: 'check that the token command prints a current access token for this user, with the IMAP scope',
    };
  }
  if (typeof source.oauth2 !== 'string' || !source.oauth2.includes('@')) throw new ConfigError(`password.oauth2 for ${account} must be the address given to \`imapfw login --user\``);
  return {
    login: async (refused) => ({ accessToken: await currentAccessToken({ address: source.oauth2, ...(source.stateDir ? { stateDir: source.stateDir } : {}), ...(refused ? { refused } : {}) }) }),
    refusedHint: `a freshly refreshed token was refused too; run \`imapfw login --user ${source.oauth2}\` again, and check the address matches the IMAP user`,
  };
}

/** The AuthError of a login the server refused, with the hint for this kind of credentials. */
export function refusedLogin(error: AuthError, credentials: Credentials): AuthError {
  return new AuthError(error.message.replace(/; check the user name and the password$/, `; ${credentials.refusedHint}`), { cause: error.cause });
}
