import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthError, ConfigError, FolderNotFoundError, NetworkError } from '../../src/api/errors.js';
import { ImapRepository } from '../../src/api/repositories/imap.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { dropIntoMaildir, makeMessage } from '../support/messages.js';
import { repositoryOn } from './helpers.js';
import { folderAt } from '../support/folder-at.js';

const run = promisify(execFile);

/** Kills every imap process (one per logged-in connection) of the server, like a crash or a network cut. */
async function killImapProcesses(server: DovecotServer): Promise<number> {
  const { stdout } = await run('pgrep', ['-g', String(server.pid), '-x', 'imap']).catch(() => ({ stdout: '' }));
  const pids = stdout.split('\n').filter(Boolean).map(Number);
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids.length;
}

describe('errors', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot({ rawlog: true });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('a folder deleted between LIST and SELECT is FolderNotFoundError', async () => {
    const repo = repositoryOn(server);
    await repo.createFolder('Doomed');
    expect((await repo.listFolders()).map((f) => f.name)).toContain('Doomed');
    await server.doveadm(['mailbox', 'delete', '-u', 'alice', 'Doomed']);
    const error = await repo.scan('Doomed').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FolderNotFoundError);
    expect((error as FolderNotFoundError).folder).toBe('Doomed');
    expect((await repo.scan('INBOX')).kind).toBe('full'); // the connection is fine
    await repo.close();
  });

  it('names the missing folder of a move, source or target', async () => {
    const repo = repositoryOn(server);
    await repo.createFolder('Source');
    const [id] = await repo.store('Source', [{ body: makeMessage({ subject: 'mover' }), flags: [], internalDate: 0 }]);
    const noTarget = await repo.move(await folderAt(repo, 'Source'), 'Nowhere', [id!]).catch((e: unknown) => e);
    expect(noTarget).toBeInstanceOf(FolderNotFoundError);
    expect((noTarget as FolderNotFoundError).folder).toBe('Nowhere');
    const noSource = await repo.move({ name: 'Gone', uidValidity: '1' }, 'Source', [id!]).catch((e: unknown) => e);
    expect(noSource).toBeInstanceOf(FolderNotFoundError);
    expect((noSource as FolderNotFoundError).folder).toBe('Gone');
    expect((await repo.scan('Source')).messages.map((m) => m.id)).toEqual([id]);
    await repo.close();
  });

  it('a refused or unreachable server is a NetworkError', async () => {
    const closed = new ImapRepository({ url: 'imap://alice@127.0.0.1:1', password: { value: 'x' }, connectTimeoutMs: 2000 });
    const error = await closed.listFolders().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).retryable).toBe(true);
    expect((error as Error).message).toMatch(/ECONNREFUSED/);
  });

  it("imaps:// to a port that answers in plain text is a ConfigError naming the scheme and port to use, not a failure to retry", async () => {
    const url = server.url('alice').replace(/^imap:/, 'imaps:');
    const error = await new ImapRepository({ url, password: { value: server.users.alice! }, connectTimeoutMs: 5000 }).listFolders().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/answered in plain text where imaps:\/\/ expects TLS .*: use imap:\/\/ \(STARTTLS\) for this port, or the server's TLS port \(usually 993\) with imaps:\/\//);
  });

  it('refuses a plaintext login to a host that is not loopback unless allowPlaintext', async () => {
    // 0.0.0.0 reaches the local server but is not a loopback address to the policy.
    const url = `imap://alice@0.0.0.0:${server.port}`;
    const commandsBefore = (await server.commandsSeen()).length;
    const refused = await new ImapRepository({ url, password: { value: server.users.alice! } }).listFolders().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConfigError);
    expect((refused as Error).message).toMatch(/offers no STARTTLS.*Use imaps:\/\/ or set allowPlaintext: true/);
    expect((await server.commandsSeen()).length).toBe(commandsBefore); // never logged in

    const allowed = new ImapRepository({ url, password: { value: server.users.alice! }, allowPlaintext: true });
    expect((await allowed.listFolders()).map((f) => f.name)).toContain('INBOX');
    await allowed.close();
  });

  it('a connection killed in the middle of a FETCH is a NetworkError; the same instance then reconnects', async () => {
    const messages = Array.from({ length: 40 }, (_, i) => ({ raw: makeMessage({ subject: `big ${i}`, size: 3_000_000 }) }));
    await dropIntoMaildir(server, 'alice', 'Big', messages);
    const repo = repositoryOn(server);
    const ids = (await repo.scan('Big')).messages.map((m) => m.id);
    expect(ids).toHaveLength(40);

    const fetching = repo.fetch(await folderAt(repo, 'Big'), ids);
    const outcome = fetching.catch((e: unknown) => e);
    // Kill once the FETCH has reached the server (its 120 MB answer takes far longer to stream).
    const fetchSent = async () => (await server.commandsSeen()).some((c) => /^UID FETCH .*BODY\.PEEK\[\]/i.test(c));
    for (let waited = 0; !(await fetchSent()) && waited < 5000; waited += 5) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await killImapProcesses(server)).toBeGreaterThan(0);
    const error = await outcome;
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).retryable).toBe(true);

    const again = await repo.fetch(await folderAt(repo, 'Big'), ids.slice(0, 3));
    // The first FETCH reached the server before the kill, the second is the retry.
    expect((await server.commandsSeen()).filter((c) => /^UID FETCH .*BODY\.PEEK\[\]/i.test(c))).toHaveLength(2);
    expect(again.map((m) => m.id)).toEqual(ids.slice(0, 3));
    expect(again[0]!.body.byteLength).toBeGreaterThan(2_900_000);
    await repo.close();
  });

  it('a wrong password is an AuthError after exactly one login attempt, and is not retried', async () => {
    const repo = new ImapRepository({ url: server.url('alice'), password: { value: 'wrong-password-xyz' } });
    // Logging in ahead (connect) fails as the first call would, and that call then gives the same error.
    const first = await repo.connect().catch((e: unknown) => e);
    expect(await repo.scan('INBOX').catch((e: unknown) => e)).toBe(first);
    expect(first).toBeInstanceOf(AuthError);
    expect((first as AuthError).retryable).toBe(false);
    expect((first as Error).message).toMatch(/alice@127\.0\.0\.1:\d+ refused .*check the user name and the password/);
    expect((first as Error).message).not.toContain('wrong-password-xyz');
    expect(await repo.listFolders().catch((e: unknown) => e)).toBe(first);
    await repo.close();

    // Dovecot's log process writes the login line a moment after the disconnect.
    const readLog = () => readFile(path.join(server.dir, 'dovecot.log'), 'utf8');
    const authFailures = (log: string) => log.split('\n').filter((line) => /imap-login: .*auth failed/.test(line));
    for (let waited = 0; authFailures(await readLog()).length === 0 && waited < 5000; waited += 20) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const log = await readLog();
    const failures = authFailures(log);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatch(/auth failed, 1 attempts/);
    expect(log).not.toContain('wrong-password-xyz');
  });
});
