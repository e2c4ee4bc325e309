import type { AddressInfo } from 'node:net';
import type * as OpenId from 'openid-client';
import { AuthError, ConfigError, NetworkError } from '../../api/errors.js';
import { clientConfiguration, defaultScope, type ProviderSettings } from './providers.js';
import { loginPath, readLogin, removeLogin, writeLogin } from './token-store.js';
import { tokensOf } from './tokens.js';
import { requireOnUse } from '../require-on-use.js';

export interface LoginOptions {
  address: string;
  settings: ProviderSettings;
  stateDir?: string;
  /** The device flow (a code typed on another device) instead of a browser on this machine. */
  device?: boolean;
  /** Try to open the authorization URL in the desktop's browser. */
  openBrowser?: boolean;
  /** Tells the user what to do (a URL to open, a code to enter); never given a token. */
  say: (text: string) => void;
  /** How long to wait for the user; default 10 minutes. */
  timeoutMs?: number;
}

/**
 * Runs the authorization-code flow with PKCE and a loopback redirect (or the
 * device flow) and stores the refresh token under the state directory,
 * readable by the user only. Returns the file's path.
 */
export async function oauth2Login(options: LoginOptions): Promise<string> {
  if (!options.address.includes('@')) throw new ConfigError(`--user "${options.address}" is not a mail address`);
  const settings = { ...options.settings, scope: options.settings.scope ?? defaultScope(options.settings.provider) };
  const config = await clientConfiguration(settings);
  const answer = options.device ? await deviceFlow(config, settings, options) : await browserFlow(config, settings, options);
  const path = loginPath(options.address, options.stateDir);
  writeLogin(path, { address: options.address, settings, ...tokensOf(answer) });
  return path;
}

type TokenAnswer = OpenId.TokenEndpointResponse & OpenId.TokenEndpointResponseHelpers;

async function browserFlow(config: OpenId.Configuration, settings: ProviderSettings, options: LoginOptions): Promise<TokenAnswer> {
  const client = await import('openid-client');
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const redirect = await loopbackRedirect(options.timeoutMs ?? 600_000);
  try {
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirect.uri,
      scope: settings.scope!,
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      login_hint: options.address,
      // Google gives a refresh token only with these.
      ...(settings.provider === 'google' ? { access_type: 'offline', prompt: 'consent' } : {}),
    });
    options.say(`Open this address in a browser, sign in as ${options.address} and allow access:\n\n  ${url.href}\n`);
    if (options.openBrowser) openInBrowser(url.href);
    const callback = await redirect.callback;
    const error = callback.searchParams.get('error');
    if (error) throw new AuthError(`the provider refused the login (${error}${callback.searchParams.get('error_description') ? `: ${callback.searchParams.get('error_description')}` : ''})`);
    return await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedState: state });
  } catch (error) {
    throw loginError(error);
  } finally {
    redirect.close();
  }
}

async function deviceFlow(config: OpenId.Configuration, settings: ProviderSettings, options: LoginOptions): Promise<TokenAnswer> {
  const client = await import('openid-client');
  if (!config.serverMetadata().device_authorization_endpoint) throw new ConfigError(`the ${settings.provider} provider offers no device flow; log in without --device`);
  try {
    const device = await client.initiateDeviceAuthorization(config, { scope: settings.scope!, login_hint: options.address });
    const where = device.verification_uri_complete ?? device.verification_uri;
    options.say(`On any device, open ${where}, enter the code ${device.user_code}, sign in as ${options.address} and allow access.\n`);
    return await client.pollDeviceAuthorizationGrant(config, device, undefined, { signal: AbortSignal.timeout(options.timeoutMs ?? 600_000) });
  } catch (error) {
    throw loginError(error);
  }
}

/** A server on 127.0.0.1 (a free port) that receives the browser's redirect once. */
async function loopbackRedirect(timeoutMs: number): Promise<{ uri: string; callback: Promise<URL>; close: () => void }> {
  let settle: { resolve: (url: URL) => void; reject: (error: Error) => void } | undefined;
  const callback = new Promise<URL>((resolve, reject) => (settle = { resolve, reject }));
  const http = requireOnUse('node:http') as typeof import('node:http');
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', uri);
    if (url.pathname !== '/' || (!url.searchParams.has('code') && !url.searchParams.has('error'))) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' }).end('imapfw: signed in. You can close this window.\n');
    settle!.resolve(url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const timer = setTimeout(() => settle!.reject(new AuthError(`no answer from the browser within ${Math.round(timeoutMs / 60_000)} minutes; run imapfw login again`)), timeoutMs);
  return {
    uri,
    callback,
    close: () => {
      clearTimeout(timer);
      server.closeAllConnections();
      server.close();
    },
  };
}

function openInBrowser(url: string): void {
  const opener = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  // Best effort: the address is printed anyway.
  (requireOnUse('node:child_process') as typeof import('node:child_process')).spawn(opener, [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
}

function loginError(error: unknown): Error {
  if (error instanceof AuthError || error instanceof ConfigError) return error;
  const oauthError = (error as { error?: unknown }).error;
  if (typeof oauthError === 'string') {
    const description = (error as { error_description?: unknown }).error_description;
    return new AuthError(`the provider refused the login (${oauthError}${typeof description === 'string' ? `: ${description}` : ''})`);
  }
  return new NetworkError(`the login failed: ${(error as Error).message}`, { cause: error });
}

/**
 * Forgets the login of `address`: asks the provider to revoke the refresh
 * token when it offers revocation (best effort), then removes the file.
 * False when there was no login.
 */
export async function oauth2Logout(address: string, stateDir?: string): Promise<boolean> {
  const path = loginPath(address, stateDir);
  let login;
  try {
    login = readLogin(path, address);
  } catch {
    return removeLogin(path);
  }
  try {
    const client = await import('openid-client');
    const config = await clientConfiguration(login.settings);
    if (config.serverMetadata().revocation_endpoint) {
      config.timeout = 10;
      await client.tokenRevocation(config, login.refreshToken, { token_type_hint: 'refresh_token' });
    }
  } catch {
    // The file goes anyway: without it imapfw cannot use the token.
  }
  return removeLogin(path);
}
