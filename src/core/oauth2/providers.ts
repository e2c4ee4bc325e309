import type * as OpenId from 'openid-client';
import { ConfigError, NetworkError } from '../../api/errors.js';
import { isLoopbackHost } from '../imap/url.js';

export type ProviderName = 'google' | 'microsoft' | 'oidc';

/** Which authorization server and client a login used; kept with the refresh token to refresh it the same way. */
export interface ProviderSettings {
  provider: ProviderName;
  clientId: string;
  /** Google's "desktop app" clients have one (not a secret in an installed app, Google says); public clients have none. */
  clientSecret?: string;
  /** Microsoft: the directory (tenant id or domain); default `common`. */
  tenant?: string;
  /** `oidc`: the issuer URL, whose `/.well-known/openid-configuration` describes the endpoints. */
  issuer?: string;
  /** Scopes asked for; default the provider's IMAP scope. */
  scope?: string;
}

/** The scope that lets a token open the mailbox over IMAP, and keeps a refresh token coming. */
export function defaultScope(provider: ProviderName): string {
  switch (provider) {
    case 'google':
      return 'https://mail.google.com/';
    case 'microsoft':
      return 'https://outlook.office.com/IMAP.AccessAsUser.All offline_access';
    case 'oidc':
      return 'openid email offline_access';
  }
}

/** The endpoints of Google and Microsoft, fixed (Microsoft's `common` issuer cannot pass discovery's issuer check). */
function knownServer(settings: ProviderSettings): OpenId.ServerMetadata | undefined {
  if (settings.provider === 'google') {
    return {
      issuer: 'https://accounts.google.com',
      authorization_endpoint: 'https://accounts.google.com/o/oauth2/v2/auth',
      token_endpoint: 'https://oauth2.googleapis.com/token',
      device_authorization_endpoint: 'https://oauth2.googleapis.com/device/code',
      revocation_endpoint: 'https://oauth2.googleapis.com/revoke',
    };
  }
  if (settings.provider === 'microsoft') {
    const base = `https://login.microsoftonline.com/${encodeURIComponent(settings.tenant ?? 'common')}`;
    return {
      issuer: `${base}/v2.0`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      token_endpoint: `${base}/oauth2/v2.0/token`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    };
  }
  return undefined;
}

/** The client configuration of openid-client for these settings (discovery for `oidc`). */
export async function clientConfiguration(settings: ProviderSettings): Promise<OpenId.Configuration> {
  const client = await import('openid-client');
  const auth = settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None();
  const known = knownServer(settings);
  if (known) return new client.Configuration(known, settings.clientId, undefined, auth);
  if (!settings.issuer) throw new ConfigError('--provider oidc needs --issuer URL');
  let issuer: URL;
  try {
    issuer = new URL(settings.issuer);
  } catch {
    throw new ConfigError(`--issuer "${settings.issuer}" is not a URL`);
  }
  // Plain http only to this machine (a local provider); openid-client refuses it otherwise.
  const insecure = issuer.protocol === 'http:' && isLoopbackHost(issuer.hostname);
  try {
    return await client.discovery(issuer, settings.clientId, undefined, auth, insecure ? { execute: [client.allowInsecureRequests] } : undefined);
  } catch (error) {
    throw new NetworkError(`OpenID discovery at ${issuer.href} failed: ${(error as Error).message}`, { cause: error });
  }
}
