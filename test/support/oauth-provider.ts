// A local OAuth2/OIDC provider for the tests: oauth2-mock-server's service
// (discovery, JWKS, authorize, userinfo) and its issuer (signed JWTs), with the
// token endpoint answered here, as a real provider does and the mock does not:
// tokens bound to the user named by login_hint, PKCE checked, access tokens
// that expire, refresh tokens that can be revoked, the device authorization
// grant (RFC 8628), and an introspection answer (userinfo with the bearer
// token) Dovecot's oauth2 passdb can trust.
import { createHash, randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OAuth2Issuer, OAuth2Service } from 'oauth2-mock-server';

export interface OAuthProviderOptions {
  /** Lifetime of access tokens in seconds; default 3600. */
  accessTokenTtl?: number;
}

export interface OAuthProvider {
  /** The issuer URL (http://127.0.0.1:PORT), for discovery. */
  issuer: string;
  /** Where Dovecot's oauth2 passdb asks about a bearer token (GET, Authorization: Bearer). */
  introspectionUrl: string;
  /** Lifetime of the access tokens issued from now on. */
  accessTokenTtl: number;
  /** Lifetimes for the tokens of some clients (by client_id), over accessTokenTtl. */
  clientTtl: Map<string, number>;
  /** Every access token and refresh token issued so far (to look for them in outputs). */
  issued(): { accessTokens: string[]; refreshTokens: string[] };
  /** Grants (authorization_code, refresh_token, urn:…:device_code) answered so far, in order. */
  grants: string[];
  /** Introspections answered, and how many said "not active". */
  introspections: { active: number; refused: number };
  /** Makes every refresh token issued to `user` so far unusable (invalid_grant), as a user revoking access does. */
  revokeRefreshTokens(user: string): void;
  /** The user approves the device code shown as `userCode`, as `user`. */
  approveDevice(userCode: string, user: string): void;
  stop(): Promise<void>;
}

const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

export async function startOAuthProvider(options: OAuthProviderOptions = {}): Promise<OAuthProvider> {
  const issuer = new OAuth2Issuer();
  await issuer.keys.generate('RS256');
  const service = new OAuth2Service(issuer);
  const accessTokens = new Map<string, { user: string; expiresAt: number }>();
  const refreshTokens = new Map<string, { user: string; revoked: boolean }>();
  const codes = new Map<string, { user: string; challenge: string | undefined }>();
  const devices = new Map<string, { userCode: string; user?: string; used: boolean }>();
  const grants: string[] = [];
  const introspections = { active: 0, refused: 0 };
  let ttl = options.accessTokenTtl ?? 3600;
  const clientTtl = new Map<string, number>();

  service.on('beforeAuthorizeRedirect', (redirect: { url: URL }, req: IncomingMessage) => {
    const query = new URL(req.url ?? '/', 'http://x').searchParams;
    const code = redirect.url.searchParams.get('code');
    const user = query.get('login_hint');
    if (code && user) codes.set(code, { user, challenge: query.get('code_challenge') ?? undefined });
  });
  service.on('beforeUserinfo', (response: { body: Record<string, unknown>; statusCode: number }, req: IncomingMessage) => {
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const token = bearer === undefined ? undefined : accessTokens.get(bearer);
    if (!token || token.expiresAt <= Date.now()) {
      introspections.refused++;
      response.statusCode = 401;
      response.body = { error: 'invalid_token', active: false };
      return;
    }
    introspections.active++;
    response.body = { sub: token.user, username: token.user, active: 'true' };
  });

  const answer = (res: ServerResponse, status: number, body: Record<string, unknown>): void => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, error: string, description: string): void => answer(res, 400, { error, error_description: description });

  /** A token answer for `user`: a signed JWT access token and ID token, a fresh refresh token. */
  async function issue(user: string, clientId: string): Promise<Record<string, unknown>> {
    const lifetime = clientTtl.get(clientId) ?? ttl;
    const build = (claims: Record<string, unknown>) =>
      issuer.buildToken({ expiresIn: lifetime, scopesOrTransform: (_header, payload) => Object.assign(payload, { sub: user, email: user, ...claims }) });
    const accessToken = await build({ scope: 'mail' });
    const refreshToken = randomUUID();
    accessTokens.set(accessToken, { user, expiresAt: Date.now() + lifetime * 1000 });
    refreshTokens.set(refreshToken, { user, revoked: false });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime, refresh_token: refreshToken, id_token: await build({ aud: clientId }), scope: 'mail' };
  }

  const server = http.createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => res.writeHead(500).end(String(error)));
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', issuer.url);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration') {
      const document = JSON.parse(await forward(req)) as Record<string, unknown>;
      document.device_authorization_endpoint = `${issuer.url}/device`;
      document.grant_types_supported = ['authorization_code', 'refresh_token', DEVICE_GRANT];
      return answer(res, 200, document);
    }
    if (req.method !== 'POST' || (url.pathname !== '/token' && url.pathname !== '/device')) {
      service.requestHandler(req, res);
      return;
    }
    const form = new URLSearchParams(await readBody(req));
    const clientId = form.get('client_id') ?? clientFromBasicAuth(req) ?? '';
    if (url.pathname === '/device') {
      const deviceCode = randomUUID();
      const userCode = randomUUID().slice(0, 8).toUpperCase();
      devices.set(deviceCode, { userCode, used: false });
      return answer(res, 200, { device_code: deviceCode, user_code: userCode, verification_uri: `${issuer.url}/activate`, expires_in: 600, interval: 1 });
    }
    const grant = form.get('grant_type') ?? '';
    grants.push(grant);
    if (grant === 'refresh_token') {
      const known = refreshTokens.get(form.get('refresh_token') ?? '');
      if (!known || known.revoked) return refuse(res, 'invalid_grant', 'Token has been expired or revoked.');
      return answer(res, 200, await issue(known.user, clientId));
    }
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!code) return refuse(res, 'invalid_grant', 'unknown authorization code');
      const verifier = form.get('code_verifier') ?? '';
      if (code.challenge !== undefined && createHash('sha256').update(verifier).digest('base64url') !== code.challenge) {
        return refuse(res, 'invalid_grant', 'code_verifier does not match the code_challenge');
      }
      return answer(res, 200, await issue(code.user, clientId));
    }
    if (grant === DEVICE_GRANT) {
      const device = devices.get(form.get('device_code') ?? '');
      if (!device || device.used) return refuse(res, 'invalid_grant', 'unknown device code');
      if (!device.user) return refuse(res, 'authorization_pending', 'waiting for the user');
      device.used = true;
      return answer(res, 200, await issue(device.user, clientId));
    }
    return refuse(res, 'unsupported_grant_type', grant);
  }

  /** Runs a GET through the mock service and returns its body. */
  function forward(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
      const chunks: Buffer[] = [];
      const capture = {
        statusCode: 200,
        setHeader: () => capture,
        getHeader: () => undefined,
        removeHeader: () => undefined,
        writeHead: () => capture,
        write: (chunk: Buffer | string) => chunks.push(Buffer.from(chunk)),
        end: (chunk?: Buffer | string) => {
          if (chunk) chunks.push(Buffer.from(chunk));
          resolve(Buffer.concat(chunks).toString('utf8'));
        },
      };
      service.requestHandler(req, capture as unknown as ServerResponse);
    });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  issuer.url = `http://127.0.0.1:${port}`;

  return {
    issuer: issuer.url,
    introspectionUrl: `${issuer.url}/userinfo`,
    get accessTokenTtl() {
      return ttl;
    },
    set accessTokenTtl(seconds: number) {
      ttl = seconds;
    },
    clientTtl,
    issued: () => ({ accessTokens: [...accessTokens.keys()], refreshTokens: [...refreshTokens.keys()] }),
    grants,
    introspections,
    revokeRefreshTokens(user) {
      for (const token of refreshTokens.values()) if (token.user === user) token.revoked = true;
    },
    approveDevice(userCode, user) {
      const device = [...devices.values()].find((d) => d.userCode === userCode);
      if (!device) throw new Error(`no device code shows ${userCode}`);
      device.user = user;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function clientFromBasicAuth(req: IncomingMessage): string | undefined {
  const basic = /^Basic (.+)$/.exec(req.headers.authorization ?? '')?.[1];
  return basic === undefined ? undefined : decodeURIComponent(Buffer.from(basic, 'base64').toString('utf8').split(':')[0] ?? '');
}
