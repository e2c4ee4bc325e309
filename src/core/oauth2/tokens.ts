import { AuthError, NetworkError } from '../../api/errors.js';
import { registerSecret } from '../output/secrets.js';
import { clientConfiguration, type ProviderSettings } from './providers.js';
import { loginPath, readLogin, withLoginLock, writeLogin, type StoredLogin } from './token-store.js';

/** An access token is renewed this long before it expires, so that no login starts with a token about to lapse. */
const EARLY_MS = 60_000;

export interface AccessTokenRequest {
  address: string;
  stateDir?: string;
  /** The token the server just refused: a fresh one is wanted even if this one has not expired on our clock. */
  refused?: string;
}

/**
 * A current access token for a login stored by `imapfw login`: the saved one
 * while it has more than a minute left, else a new one from the refresh token
 * (saved for the other connections and the next run). A refresh token the
 * provider refuses (revoked, expired) is an AuthError that says to log in again.
 */
export async function currentAccessToken(request: AccessTokenRequest): Promise<string> {
  const path = loginPath(request.address, request.stateDir);
  const usable = (login: StoredLogin): string | undefined =>
    login.accessToken !== undefined && login.accessToken !== request.refused && (login.expiresAt ?? 0) - EARLY_MS > Date.now() ? login.accessToken : undefined;
  const saved = usable(readLogin(path, request.address));
  if (saved) return saved;
  return withLoginLock(path, async () => {
    // Another connection may have refreshed while this one waited for the lock.
    const login = readLogin(path, request.address);
    const fresh = usable(login);
    if (fresh) return fresh;
    const tokens = await refresh(login, request.stateDir);
    writeLogin(path, { ...login, ...tokens });
    return tokens.accessToken;
  });
}

async function refresh(login: StoredLogin, stateDir: string | undefined): Promise<ReturnType<typeof tokensOf>> {
  const client = await import('openid-client');
  const config = await clientConfiguration(login.settings);
  try {
    const answer = await client.refreshTokenGrant(config, login.refreshToken, login.settings.scope ? { scope: login.settings.scope } : undefined);
    return tokensOf(answer, login.refreshToken);
  } catch (error) {
    throw refreshError(error, login, stateDir);
  }
}

/** The fields to save from a token answer; a provider that does not rotate refresh tokens keeps the old one valid. */
export function tokensOf(answer: { access_token: string; refresh_token?: string; expiresIn(): number | undefined }, previousRefreshToken?: string): { accessToken: string; expiresAt: number; refreshToken: string } {
  const refreshToken = answer.refresh_token ?? previousRefreshToken;
  if (!refreshToken) throw new AuthError('the provider gave no refresh token; ask for offline access (the offline_access scope, or access_type=offline)');
  registerSecret(answer.access_token);
  registerSecret(refreshToken);
  // Without expires_in, assume the common hour.
  return { accessToken: answer.access_token, expiresAt: Date.now() + (answer.expiresIn() ?? 3600) * 1000, refreshToken };
}

function refreshError(error: unknown, login: StoredLogin, stateDir: string | undefined): Error {
  const oauthError = (error as { error?: unknown }).error;
  if (oauthError === 'invalid_grant' || oauthError === 'unauthorized_client' || oauthError === 'invalid_client') {
    const description = (error as { error_description?: unknown }).error_description;
    return new AuthError(
      `the ${login.settings.provider} provider refused the refresh token of ${login.address} (${oauthError}${typeof description === 'string' ? `: ${description}` : ''}): ` +
        `access was revoked or has expired; run \`${loginCommand(login.address, login.settings, stateDir)}\` again`,
    );
  }
  return new NetworkError(`refreshing the OAuth2 access token of ${login.address} failed: ${(error as Error).message}`, { cause: error });
}

/** The `imapfw login` command line that makes this login again. */
export function loginCommand(address: string, settings: ProviderSettings, stateDir?: string): string {
  const parts = ['imapfw login', `--provider ${settings.provider}`, `--user ${address}`, `--client-id ${settings.clientId}`];
  if (settings.tenant) parts.push(`--tenant ${settings.tenant}`);
  if (settings.issuer) parts.push(`--issuer ${settings.issuer}`);
  if (stateDir) parts.push(`--state-dir ${stateDir}`);
  return parts.join(' ');
}
