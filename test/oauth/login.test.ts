// imapfw's own OAuth2 login end to end: `imapfw login` against a local
// provider (the test plays the user and the browser), then the apps log in
// to a Dovecot that checks the tokens at that provider.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, makeMessage } from '../support/messages.js';
import { startOAuthProvider, type OAuthProvider } from '../support/oauth-provider.js';
import { localMessages, runCli } from '../mirror/helpers.js';
import { driveLogin } from './flows.js';

const USER = 'alice@example.test';
let provider: OAuthProvider;
let dovecot: DovecotServer;
let dir: string;

beforeEach(async () => {
  provider = await startOAuthProvider({ accessTokenTtl: 3600 });
  dovecot = await startDovecot({ users: { [USER]: 'unused-password' }, oauth2: { introspectionUrl: provider.introspectionUrl } });
  dir = mkdtempSync(join(tmpdir(), 'imapfw-oauth-'));
});
afterEach(async () => {
  await dovecot.stop();
  await provider.stop();
  rmSync(dir, { recursive: true, force: true });
});

const stateDir = () => join(dir, 'state');
const remote = () => `imap://${encodeURIComponent(USER)}@${dovecot.host}:${dovecot.port}`;
const loginArgs = (...extra: string[]) => ['--provider', 'oidc', '--issuer', provider.issuer, '--client-id', 'imapfw-test', '--user', USER, '--state-dir', stateDir(), '--no-browser', ...extra];
const mirror = (...extra: string[]) =>
  runCli(['mirror', '--remote', remote(), '--maildir', join(dir, 'Maildir'), '--state-dir', stateDir(), '--json', '--log-level', 'trace', ...extra], { timeoutMs: 90_000 });

/** Every token the provider ever issued that appears in `text`. */
function leakedTokens(text: string): string[] {
  const { accessTokens, refreshTokens } = provider.issued();
  return [...accessTokens, ...refreshTokens].filter((token) => text.includes(token));
}

describe('imapfw login, then the apps with --oauth2', { timeout: 240_000 }, () => {
  it('signs in with the browser flow (PKCE, loopback redirect), stores the refresh token 0600, and mirror logs in with it; no token in any output', async () => {
    await appendMessages(dovecot, USER, 'INBOX', [{ raw: makeMessage({ subject: 'one' }) }, { raw: makeMessage({ subject: 'two' }) }]);
    const login = await driveLogin(provider, loginArgs(), USER);
    expect(login.code, login.stderr).toBe(0);
    expect(provider.grants).toEqual(['authorization_code']);
    const file = join(stateDir(), 'oauth2', `${USER}.json`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(stateDir(), 'oauth2')).mode & 0o077).toBe(0);
    const refreshToken = provider.issued().refreshTokens[0]!;
    expect(readFileSync(file, 'utf8')).toContain(refreshToken);
    expect(login.stderr).toContain(`--oauth2 ${USER}`);

    const run = await mirror('--oauth2', USER);
    expect(run.status, run.stderr).toBe(0);
    expect(localMessages(join(dir, 'Maildir'), 'INBOX')).toHaveLength(2);
    // The access token from the login was still good: no refresh, and Dovecot checked it at the provider.
    expect(provider.grants).toEqual(['authorization_code']);
    expect(provider.introspections.active).toBeGreaterThan(0);
    // The trace log shows the login command, never its token.
    expect(run.stderr).toMatch(/AUTHENTICATE (XOAUTH2|OAUTHBEARER)/);
    expect(leakedTokens(login.stdout + login.stderr + run.stdout + run.stderr)).toEqual([]);
  });

  it('the device flow stores a login too', async () => {
    const login = await driveLogin(provider, loginArgs('--device'), USER);
    expect(login.code, login.stderr).toBe(0);
    expect(provider.grants.at(-1)).toBe('urn:ietf:params:oauth:grant-type:device_code');
    const run = await mirror('--oauth2', USER);
    expect(run.status, run.stderr).toBe(0);
    expect(leakedTokens(login.stdout + login.stderr + run.stdout + run.stderr)).toEqual([]);
  });

  it('an expired access token is refreshed before the login; a revoked refresh token ends with the auth exit code and says to log in again', async () => {
    provider.accessTokenTtl = 2;
    await appendMessages(dovecot, USER, 'INBOX', [{ raw: makeMessage({ subject: 'one' }) }]);
    expect((await driveLogin(provider, loginArgs(), USER)).code).toBe(0);
    // The saved token has under a minute left: imapfw refreshes before logging in, and keeps the rotated refresh token.
    const first = await mirror('--oauth2', USER);
    expect(first.status, first.stderr).toBe(0);
    expect(provider.grants.filter((grant) => grant === 'refresh_token').length).toBeGreaterThan(0);
    const rotated = JSON.parse(readFileSync(join(stateDir(), 'oauth2', `${USER}.json`), 'utf8')) as { refreshToken: string };
    expect(rotated.refreshToken).toBe(provider.issued().refreshTokens.at(-1));

    provider.revokeRefreshTokens(USER);
    const revoked = await mirror('--oauth2', USER);
    expect(revoked.status, revoked.stderr).toBe(3);
    expect(revoked.stdout + revoked.stderr).toMatch(/invalid_grant/);
    expect(revoked.stdout + revoked.stderr).toContain(`imapfw login --provider oidc --user ${USER}`);
    expect(leakedTokens(first.stdout + first.stderr + revoked.stdout + revoked.stderr)).toEqual([]);
  });

  it('logout removes the login; an app then says to log in', async () => {
    expect((await driveLogin(provider, loginArgs(), USER)).code).toBe(0);
    const logout = await runCli(['logout', '--user', USER, '--state-dir', stateDir()]);
    expect(logout.status, logout.stderr).toBe(0);
    const run = await mirror('--oauth2', USER);
    expect(run.status).toBe(3);
    expect(run.stdout + run.stderr).toContain('imapfw login');
  });
});
