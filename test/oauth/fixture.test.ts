// The OAuth2 test fixture itself: Dovecot's oauth2 passdb accepts a token the
// local provider issued, over XOAUTH2 and over OAUTHBEARER, and refuses an expired one.
import { ImapFlow } from 'imapflow';
import { afterEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startOAuthProvider, type OAuthProvider } from '../support/oauth-provider.js';
import { authorizationCodeGrant } from './flows.js';

let provider: OAuthProvider | undefined;
let dovecot: DovecotServer | undefined;
afterEach(async () => {
  await dovecot?.stop();
  await provider?.stop();
  dovecot = provider = undefined;
});

async function login(server: DovecotServer, accessToken: string): Promise<{ ok: boolean; mechanism?: string; error?: string }> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: 'alice', accessToken }, logger: false });
  client.on('error', () => undefined);
  try {
    await client.connect();
    // imapflow records the mechanism it used (untyped).
    const used = (client as unknown as { authCapabilities: Map<string, boolean> }).authCapabilities;
    const mechanism = [...used.keys()].find((key) => /OAUTH/.test(key));
    await client.logout();
    return { ok: true, ...(mechanism ? { mechanism } : {}) };
  } catch (error) {
    client.close();
    return { ok: false, error: String((error as { response?: string }).response ?? error) };
  }
}

describe('OAuth2 fixture: Dovecot with the oauth2 passdb against the local provider', () => {
  for (const mechanism of ['xoauth2', 'oauthbearer'] as const) {
    it(`accepts a token the provider issued over ${mechanism.toUpperCase()}, refuses an expired or unknown one`, async () => {
      provider = await startOAuthProvider({ accessTokenTtl: 2 });
      dovecot = await startDovecot({ oauth2: { introspectionUrl: provider.introspectionUrl, mechanisms: [mechanism] } });
      const tokens = await authorizationCodeGrant(provider, 'alice');
      const accepted = await login(dovecot, tokens.access_token);
      expect(accepted).toEqual({ ok: true, mechanism: `AUTH=${mechanism.toUpperCase()}` });
      expect(await login(dovecot, 'not-a-token')).toMatchObject({ ok: false });
      await new Promise((resolve) => setTimeout(resolve, 2100));
      expect(await login(dovecot, tokens.access_token)).toMatchObject({ ok: false });
      expect(provider.introspections).toEqual({ active: 1, refused: 2 });
    });
  }

  it('a token issued to another user does not open alice', async () => {
    provider = await startOAuthProvider();
    dovecot = await startDovecot({ users: { alice: 'a', bob: 'b' }, oauth2: { introspectionUrl: provider.introspectionUrl } });
    const tokens = await authorizationCodeGrant(provider, 'bob');
    expect(await login(dovecot, tokens.access_token)).toMatchObject({ ok: false });
  });
});
