// What a user and a browser do in the OAuth2 flows, done by the test.
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { CLI } from '../mirror/helpers.js';
import type { OAuthProvider } from '../support/oauth-provider.js';

export interface TokenAnswer {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

/** Runs authorization code + PKCE against the provider as `user`, without imapfw (for fixture tests). */
export async function authorizationCodeGrant(provider: OAuthProvider, user: string): Promise<TokenAnswer> {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirect = 'http://127.0.0.1:9/callback';
  const authorize = new URL(`${provider.issuer}/authorize`);
  for (const [key, value] of Object.entries({ response_type: 'code', client_id: 'test', redirect_uri: redirect, login_hint: user, code_challenge: challenge, code_challenge_method: 'S256' })) {
    authorize.searchParams.set(key, value);
  }
  const code = new URL(await followAuthorize(authorize.href)).searchParams.get('code');
  if (!code) throw new Error('the provider gave no code');
  const answer = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'authorization_code', code, code_verifier: verifier, client_id: 'test', redirect_uri: redirect }),
  });
  if (!answer.ok) throw new Error(`token endpoint answered ${answer.status}: ${await answer.text()}`);
  return (await answer.json()) as TokenAnswer;
}

/** The user's browser opening the authorization URL: the provider's redirect location (the user has approved). */
export async function followAuthorize(url: string): Promise<string> {
  const answer = await fetch(url, { redirect: 'manual' });
  const location = answer.headers.get('location');
  if (answer.status !== 302 || !location) throw new Error(`authorize answered ${answer.status}`);
  return location;
}

/** Output of an `imapfw login` run the test drove. */
export interface LoginRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `imapfw login ...args` and plays the user: opens the address it prints
 * (the provider approves at once, as the user given by login_hint) and lets
 * the browser follow the redirect to imapfw's loopback address; with
 * `--device`, approves the code it shows instead.
 */
export function driveLogin(provider: OAuthProvider, args: string[], user: string): Promise<LoginRun> {
  const child = spawn(process.execPath, [CLI, 'login', ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let stdout = '';
  let stderr = '';
  let acted = false;
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
    if (acted) return;
    const authorize = /(http:\/\/\S+\/authorize\?\S+)/.exec(stderr)?.[1];
    const userCode = /enter the code (\S+),/.exec(stderr)?.[1];
    if (authorize) {
      acted = true;
      void followAuthorize(authorize).then((redirect) => fetch(redirect));
    } else if (userCode) {
      acted = true;
      provider.approveDevice(userCode, user);
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
