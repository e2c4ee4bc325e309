// The apps with OAuth2 against Dovecot checking tokens at the local provider:
// a token command, sync, and a migration whose tokens expire every few seconds
// while its connections are cut, so that it reconnects with fresh tokens.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startApp } from '../support/cli-run.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { appendMessages, listServerMessages, makeMessage } from '../support/messages.js';
import { startOAuthProvider, type OAuthProvider } from '../support/oauth-provider.js';
import { startCuttingProxy, type CuttingProxy } from '../mirror/cutting-proxy.js';
import { localMessages, runCli } from '../mirror/helpers.js';
import { authorizationCodeGrant, driveLogin } from './flows.js';

const ALICE = 'alice@example.test';
const BOB = 'bob@example.test';
let provider: OAuthProvider;
let dovecot: DovecotServer;
let proxy: CuttingProxy | undefined;
let dir: string;

beforeEach(async () => {
  provider = await startOAuthProvider();
  dovecot = await startDovecot({ users: { [ALICE]: 'unused-a', [BOB]: 'unused-b' }, oauth2: { introspectionUrl: provider.introspectionUrl } });
  dir = mkdtempSync(join(tmpdir(), 'imapfw-oauth-apps-'));
});
afterEach(async () => {
  await proxy?.close();
  proxy = undefined;
  await dovecot.stop();
  await provider.stop();
  rmSync(dir, { recursive: true, force: true });
});

const url = (user: string, port = dovecot.port) => `imap://${encodeURIComponent(user)}@${dovecot.host}:${port}`;
const stateDir = () => join(dir, 'state');

/**
 * A token command like oama or mutt_oauth2.py: refreshes with the refresh
 * token it keeps in a file, prints the access token, and counts its runs.
 */
async function tokenCommand(user: string): Promise<{ command: string; runs: () => number }> {
  const tokens = await authorizationCodeGrant(provider, user);
  const keep = join(dir, `${user}.refresh`);
  const log = join(dir, `${user}.runs`);
  writeFileSync(keep, tokens.refresh_token);
  writeFileSync(log, '');
  const script = join(dir, 'token-command.mjs');
  writeFileSync(
    script,
    `import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
const [issuer, keep, log] = process.argv.slice(2);
const answer = await fetch(issuer + '/token', { method: 'POST', body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: readFileSync(keep, 'utf8'), client_id: 'command' }) });
const body = await answer.json();
if (!answer.ok) { console.error('refresh refused: ' + body.error); process.exit(1); }
writeFileSync(keep, body.refresh_token);
appendFileSync(log, 'run\\n');
console.log(body.access_token);
`,
  );
  return { command: `'${process.execPath}' '${script}' '${provider.issuer}' '${keep}' '${log}'`, runs: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).length };
}

function leakedTokens(text: string): string[] {
  const { accessTokens, refreshTokens } = provider.issued();
  return [...accessTokens, ...refreshTokens].filter((token) => text.includes(token));
}

describe('the apps with OAuth2 tokens', { timeout: 300_000 }, () => {
  it('--oauth2-token-command: mirror and sync log in with what the command prints, running it at each login', async () => {
    await appendMessages(dovecot, ALICE, 'INBOX', [{ raw: makeMessage({ subject: 'from the server' }) }]);
    const { command, runs } = await tokenCommand(ALICE);
    const maildir = join(dir, 'Maildir');
    const mirror = await runCli(['mirror', '--remote', url(ALICE), '--maildir', maildir, '--state-dir', stateDir(), '--oauth2-token-command', command, '--json', '--log-level', 'trace'], { timeoutMs: 120_000 });
    expect(mirror.status, mirror.stdout + mirror.stderr.slice(-3000)).toBe(0);
    expect(localMessages(maildir, 'INBOX')).toHaveLength(1);
    const afterMirror = runs();
    expect(afterMirror).toBeGreaterThan(0);

    const syncDir = join(dir, 'SyncMaildir');
    const sync = await runCli(['sync', '--remote', url(ALICE), '--maildir', syncDir, '--state-dir', stateDir(), '--oauth2-token-command', command, '--json', '--log-level', 'trace'], { timeoutMs: 120_000 });
    expect(sync.status, sync.stdout + sync.stderr.slice(-3000)).toBe(0);
    expect(localMessages(syncDir, 'INBOX')).toHaveLength(1);
    expect(runs()).toBeGreaterThan(afterMirror);
    expect(leakedTokens(mirror.stdout + mirror.stderr + sync.stdout + sync.stderr)).toEqual([]);
  });

  it('migrate with tokens that expire every few seconds while its connections are cut: it refreshes and reconnects, and every message arrives exactly once', async () => {
    const total = 200;
    await appendMessages(
      dovecot,
      ALICE,
      'INBOX',
      Array.from({ length: total }, (_, i) => ({ raw: makeMessage({ subject: `message ${i}`, body: 'x'.repeat(4000) }) })),
    );
    // imapfw's own tokens last 10 s, the command's 30 s (starting a Node script on a loaded machine can take seconds).
    provider.accessTokenTtl = 10;
    provider.clientTtl.set('command', 30);
    const login = await driveLogin(provider, ['--provider', 'oidc', '--issuer', provider.issuer, '--client-id', 'imapfw-test', '--user', ALICE, '--state-dir', stateDir(), '--no-browser'], ALICE);
    expect(login.code, login.stderr).toBe(0);
    const target = await tokenCommand(BOB);
    proxy = await startCuttingProxy(dovecot);
    const args = ['--from', url(ALICE, proxy.port), '--from-oauth2', ALICE, '--to', url(BOB, proxy.port), '--to-oauth2-token-command', target.command, '--state-dir', stateDir(), '--json', '--log-level', 'trace', '--max-connections', '2'];
    const runs = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const running = startApp<{ complete: boolean; copied: number }>('migrate', args, { timeoutMs: 180_000 });
      // Cut every connection once, when half of the messages went through (a run may end with exit 4 on it, as the mirror's does).
      // One listing at a time, and none after the cut: each is a login and a full FETCH, competing with the run for the CPU.
      let listing = false;
      const cutter = setInterval(() => {
        if (listing || proxy!.cut > 0) return;
        listing = true;
        void listServerMessages(dovecot, BOB, 'INBOX').then(
          (arrived) => {
            listing = false;
            if (proxy!.cut === 0 && arrived.length >= total / 2) proxy!.cutAll();
          },
          () => (listing = false),
        );
      }, 250);
      const run = await running.done;
      clearInterval(cutter);
      runs.push(run);
      expect([0, 1, 4], run.stdout + run.stderr.slice(-3000)).toContain(run.code);
      expect(leakedTokens(run.stdout + run.stderr)).toEqual([]);
      if (run.code === 0) break;
    }
    console.log(`migrate runs: ${runs.map((run) => `exit ${run.code} after ${Math.round(run.ms)} ms`).join(', ')}; ${proxy.cut} connections cut; grants ${provider.grants.join(' ')}`);
    expect(runs.at(-1)!.code).toBe(0);
    expect(proxy.cut).toBeGreaterThan(0);
    // Tokens were refreshed during the runs, on both sides.
    expect(provider.grants.filter((grant) => grant === 'refresh_token').length).toBeGreaterThan(target.runs());
    expect(target.runs()).toBeGreaterThan(1);
    const arrived = await listServerMessages(dovecot, BOB, 'INBOX');
    expect(arrived).toHaveLength(total);
    expect(new Set(arrived.map((message) => message.messageId)).size).toBe(total);
  });
});
