import { openSqlite } from '../../src/core/state/open-sqlite.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError, StateCorruptError, StateLockedError } from '../../src/api/errors.js';
import { SqliteStateStore, stateDatabasePath } from '../../src/api/state/index.js';
import { describeStateStore } from './store-contract.js';
import { tempDirs } from '../support/temp-dirs.js';

const newDir = tempDirs('sqlite');
const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const storeModule = pathToFileURL(join(repoRoot, 'src/api/state/sqlite.ts')).href;

const openIn = (dir: string, options: { rebuild?: boolean; owner?: string } = {}) => SqliteStateStore.open({ account: 'me', path: join(dir, 'me.sqlite'), ...options });
const modeOf = (path: string) => statSync(path).mode & 0o777;

describeStateStore('SqliteStateStore', {
  create: () => openIn(newDir()),
  reopen: async (store) => {
    await store.close();
    return SqliteStateStore.open({ account: 'me', path: (store as SqliteStateStore).path });
  },
});

describe('SqliteStateStore: database', () => {
  it('deletes the pairs and intents of a removed folder pair', async () => {
    const store = openIn(newDir());
    const folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;
    await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }], openIntents: [{ from: 'left', sourceId: '2' }] });
    await store.removeFolderPair(folder);
    const db = openSqlite(store.path, { readonly: true });
    expect(db.prepare('SELECT (SELECT count(*) FROM pairs) + (SELECT count(*) FROM intents)').pluck().get()).toBe(0);
    db.close();
    await store.close();
  });
});

describe('SqliteStateStore: pairs', () => {
  it('reads pairs with the same flags with one shared flag list', async () => {
    const store = openIn(newDir());
    const folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;
    await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'] }, { left: '2', right: 'b', flags: [] }, { left: '3', right: 'c', flags: ['\\Seen'] }] });
    const [one, two, three] = await store.pairs(folder);
    expect([one!.flags, two!.flags, three!.flags]).toStrictEqual([['\\Seen'], [], ['\\Seen']]);
    expect(three!.flags).toBe(one!.flags);
    await store.close();
  });
});

describe('SqliteStateStore: durability', () => {
  it('returns from a write once the WAL is fsynced, the thread free meanwhile', async () => {
    const store = openIn(newDir());
    const probe = await open(store.path, 'r');
    const fileHandle = Object.getPrototypeOf(probe) as FileHandle;
    await probe.close();
    const synced: string[] = [];
    const releases: (() => void)[] = [];
    const sync = vi.spyOn(fileHandle, 'sync').mockImplementation(async function (this: FileHandle) {
      synced.push(readlinkSync(`/proc/self/fd/${this.fd}`));
      await new Promise<void>((resolve) => releases.push(resolve));
    });
    let folder: number | undefined;
    try {
      const ensuring = store.ensureFolderPair('INBOX', 'INBOX').then((record) => (folder = record.id));
      await vi.waitFor(() => expect(synced).toStrictEqual([`${store.path}-wal`]));
      expect(folder).toBeUndefined();
      releases.shift()!();
      await ensuring;

      let returned = false;
      const committing = store.commit(folder!, { upsertPairs: [{ left: '1', right: 'a', flags: [] }] }).then(() => (returned = true));
      await vi.waitFor(() => expect(synced).toHaveLength(2));
      expect(returned).toBe(false);
      releases.shift()!();
      await committing;
    } finally {
      sync.mockRestore();
    }
    expect(await store.pairs(folder!)).toStrictEqual([{ left: '1', right: 'a', flags: [] }]);
    await store.close();
  });

  it('finds a folder pair that exists without a write or an fsync (a rerun asks for every folder)', async () => {
    const dir = newDir();
    let store = openIn(dir);
    const created = await store.ensureFolderPair('INBOX', 'INBOX');
    await store.close();
    store = openIn(dir);
    const probe = await open(store.path, 'r');
    const sync = vi.spyOn(Object.getPrototypeOf(probe) as FileHandle, 'sync');
    await probe.close();
    const walBytes = () => (existsSync(`${store.path}-wal`) ? statSync(`${store.path}-wal`).size : 0);
    const before = walBytes();
    try {
      expect(await store.ensureFolderPair('INBOX', 'INBOX')).toStrictEqual(created);
      expect(walBytes()).toBe(before);
      expect(sync).not.toHaveBeenCalled();
      // A new pair is written and synced as before.
      expect((await store.ensureFolderPair('Sent', 'Sent')).id).not.toBe(created.id);
      expect(walBytes()).toBeGreaterThan(before);
      expect(sync).toHaveBeenCalledTimes(1);
    } finally {
      sync.mockRestore();
      await store.close();
    }
  });
});

describe('SqliteStateStore: files', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('keeps its database under $XDG_STATE_HOME/imapfw, directory 0700, files 0600', async () => {
    const stateHome = newDir();
    vi.stubEnv('XDG_STATE_HOME', stateHome);
    const store = SqliteStateStore.open({ account: 'work/me@example.com' });
    const folder = await store.ensureFolderPair('INBOX', 'INBOX');
    await store.commit(folder.id, { upsertPairs: [{ left: '1', right: 'a', flags: [] }] });
    expect(store.path).toBe(join(stateHome, 'imapfw', 'work%2Fme@example.com.sqlite'));
    expect(modeOf(join(stateHome, 'imapfw'))).toBe(0o700);
    for (const suffix of ['', '-wal', '-shm', '.lock']) expect([suffix, modeOf(store.path + suffix)]).toStrictEqual([suffix, 0o600]);
    await store.close();
  });

  it('falls back to ~/.local/state without $XDG_STATE_HOME', () => {
    const home = newDir();
    vi.stubEnv('XDG_STATE_HOME', '');
    vi.stubEnv('HOME', home);
    expect(stateDatabasePath('me')).toBe(join(home, '.local', 'state', 'imapfw', 'me.sqlite'));
  });

  it('makes distinct account names distinct, safe file names', () => {
    const accounts = ['a/b', 'a_b', 'a%2Fb', '..', '../../etc/passwd', 'ü@x', '.hidden', 'a\u0000b', 'me@example.com'];
    const names = accounts.map((account) => basename(stateDatabasePath(account, '/state')));
    expect(new Set(names).size).toBe(accounts.length);
    for (const [i, name] of names.entries()) {
      expect(stateDatabasePath(accounts[i]!, '/state')).toBe(`/state/${name}`);
      expect(name).toMatch(/^[A-Za-z0-9_@+%-][A-Za-z0-9_.@+%-]*\.sqlite$/);
    }
    expect(names.at(-1)).toBe('me@example.com.sqlite');
    expect(() => stateDatabasePath('', '/state')).toThrow(/account name/);
  });
});

describe('SqliteStateStore: account lock', () => {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
  });

  /** Starts a process that opens the store at `path` and then waits, or exits without closing it. */
  async function runHolder(path: string, then: 'wait' | 'exit'): Promise<ChildProcess> {
    const code = `
      import { SqliteStateStore } from ${JSON.stringify(storeModule)};
      SqliteStateStore.open({ account: 'me', path: ${JSON.stringify(path)} });
      console.log('ready');
      ${then === 'wait' ? 'setInterval(() => {}, 1000);' : 'process.exit(0);'}`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      if (then === 'wait') child.stdout!.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
      child.on('exit', (status) => (then === 'exit' && status === 0 ? resolve() : reject(new Error(`holder exited ${status}: ${stderr}`))));
    });
    return child;
  }

  it('refuses a second open while the first holds the lock, and allows it after close', async () => {
    const dir = newDir();
    const first = openIn(dir);
    expect(() => openIn(dir)).toThrow(StateLockedError);
    expect(() => openIn(dir)).toThrow(`pid ${process.pid} (`);
    await first.close();
    await openIn(dir).close();
  });

  it('names the other process holding the lock: pid, command and since when', async () => {
    const dir = newDir();
    const holder = await runHolder(join(dir, 'me.sqlite'), 'wait');
    let error: unknown;
    try {
      openIn(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateLockedError);
    expect((error as Error).message).toMatch(new RegExp(`pid ${holder.pid} \\(.*node.*--input-type=module.*\\) on .+ since \\d{4}-\\d\\d-\\d\\dT`));
  });

  it('takes over the lock of a run that was killed', async () => {
    const dir = newDir();
    const lockPath = join(dir, 'me.sqlite.lock');
    const holder = await runHolder(join(dir, 'me.sqlite'), 'wait');
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(holder.pid);
    const store = openIn(dir);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    await store.close();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('releases the lock when a run exits without closing', async () => {
    const dir = newDir();
    await runHolder(join(dir, 'me.sqlite'), 'exit');
    expect(readdirSync(dir)).not.toContain('me.sqlite.lock');
  });
});

describe('SqliteStateStore: owner', () => {
  const MINE = 'sync me@example.org -> /home/me/Mail';
  const OTHER = 'sync me@example.org -> /home/me/Mail2';

  it('keeps what it was first opened for, and refuses a database of another account or Maildir, naming both and what to do', async () => {
    const dir = newDir();
    const store = openIn(dir, { owner: MINE });
    const folder = await store.ensureFolderPair('INBOX', 'INBOX');
    await store.close();
    await openIn(dir, { owner: MINE }).close();
    expect(() => openIn(dir, { owner: OTHER })).toThrow(ConfigError);
    expect(() => openIn(dir, { owner: OTHER })).toThrow(`is that of ${MINE}, not of ${OTHER}: give this account a name of its own (its "name" in --config or --batch) or another --state-dir; if only the Maildir or a server's address changed, run once with --rebuild-state`);
    // Refused, the lock is released and nothing is changed.
    const again = openIn(dir, { owner: MINE });
    expect((await again.folderPairs()).map((pair) => pair.id)).toEqual([folder.id]);
    await again.close();
  });

  it('with rebuild, moves the database of another aside and starts empty, as this one', async () => {
    const dir = newDir();
    const store = openIn(dir, { owner: MINE });
    await store.ensureFolderPair('INBOX', 'INBOX');
    await store.close();
    const rebuilt = openIn(dir, { owner: OTHER, rebuild: true });
    expect(rebuilt.movedAside).toMatch(/me\.sqlite\.of-another-/);
    expect(await rebuilt.folderPairs()).toEqual([]);
    await rebuilt.close();
    await openIn(dir, { owner: OTHER }).close();
    expect(() => openIn(dir, { owner: MINE })).toThrow(ConfigError);
  });

  it('gives a database saved before owners were recorded to the first that opens it', async () => {
    const dir = newDir();
    await openIn(dir).close();
    await openIn(dir, { owner: MINE }).close();
    expect(() => openIn(dir, { owner: OTHER })).toThrow(ConfigError);
  });
});

describe('SqliteStateStore: damaged database', () => {
  const garbage = Buffer.from('this is not a database\n'.repeat(400));

  it('reports garbage as StateCorruptError naming the file, and releases the lock', () => {
    const dir = newDir();
    const path = join(dir, 'me.sqlite');
    writeFileSync(path, garbage);
    let error: unknown;
    try {
      openIn(dir);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(StateCorruptError);
    expect((error as StateCorruptError).path).toBe(path);
    expect((error as Error).message).toContain(`${path} is unreadable; run again with --rebuild-state`);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('with rebuild, moves the damaged file aside untouched and starts empty', async () => {
    const dir = newDir();
    const path = join(dir, 'me.sqlite');
    writeFileSync(path, garbage);
    const store = openIn(dir, { rebuild: true });
    expect(store.movedAside).toMatch(/\/me\.sqlite\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z$/);
    expect(readFileSync(store.movedAside!)).toStrictEqual(garbage);
    expect(await store.folderPairs()).toStrictEqual([]);
    const folder = await store.ensureFolderPair('INBOX', 'INBOX');
    await store.commit(folder.id, { upsertPairs: [{ left: '1', right: 'a', flags: [] }] });
    await store.close();
    const reopened = openIn(dir);
    expect(await reopened.pairs(folder.id)).toStrictEqual([{ left: '1', right: 'a', flags: [] }]);
    await reopened.close();
  });

  it('keeps a readable database even with rebuild', async () => {
    const dir = newDir();
    const store = openIn(dir);
    await store.ensureFolderPair('INBOX', 'INBOX');
    await store.close();
    const again = openIn(dir, { rebuild: true });
    expect(again.movedAside).toBeUndefined();
    expect(await again.folderPairs()).toHaveLength(1);
    await again.close();
  });

  it('brings a version 1 database (no not_held column) to this version, keeping its pairs', async () => {
    const dir = newDir();
    const store = openIn(dir);
    const folder = await store.ensureFolderPair('INBOX', 'INBOX');
    await store.commit(folder.id, { upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen'] }] });
    await store.close();
    const db = openSqlite(join(dir, 'me.sqlite'));
    db.exec('ALTER TABLE pairs DROP COLUMN not_held; ALTER TABLE intents DROP COLUMN unfound_at');
    db.pragma('user_version = 1');
    db.close();

    const migrated = openIn(dir);
    expect(await migrated.pairs(folder.id)).toStrictEqual([{ left: '1', right: 'a', flags: ['\\Seen'] }]);
    await migrated.commit(folder.id, { upsertPairs: [{ left: '1', right: 'a', flags: ['\\Seen', '$x'], notHeld: { right: ['$x'] } }] });
    expect(await migrated.pairs(folder.id)).toStrictEqual([{ left: '1', right: 'a', flags: ['\\Seen', '$x'], notHeld: { right: ['$x'] } }]);
    await migrated.close();
    const check = openSqlite(join(dir, 'me.sqlite'));
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });

  it('loads its addon by name, without the search of the bindings package (2-3 ms of every start)', async () => {
    const dir = newDir();
    await openIn(dir).close();
    openSqlite(join(dir, 'other.sqlite')).close();
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((path) => path.endsWith('better_sqlite3.node'))).toHaveLength(1);
    expect(loaded.filter((path) => /[\\/]node_modules[\\/]bindings[\\/]/.test(path))).toEqual([]);
  });

  it('refuses a schema version from the future', async () => {
    const dir = newDir();
    await openIn(dir).close();
    const db = openSqlite(join(dir, 'me.sqlite'));
    db.pragma('user_version = 99');
    db.close();
    expect(() => openIn(dir)).toThrow(StateCorruptError);
    expect(() => openIn(dir)).toThrow(expect.objectContaining({ cause: expect.objectContaining({ message: expect.stringMatching(/schema version is 99/) }) }));
  });

  it('upgrades a version 2 database: Message-ID identities lose their size, body hashes are dropped', async () => {
    const dir = newDir();
    const store = openIn(dir);
    const folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;
    await store.commit(folder, {
      upsertPairs: [
        { left: '1', right: 'a', flags: ['\\Seen'], identity: 'mid:<1:2@x>:1234' },
        { left: '2', right: 'b', flags: [], identity: `sha256:${'ab'.repeat(32)}` },
        { left: '3', right: 'c', flags: [] },
      ],
      openIntents: [{ from: 'left', sourceId: '4', identity: 'mid:<4@x>:99' }, { from: 'right', sourceId: 'd', identity: `sha256:${'cd'.repeat(32)}` }],
    });
    await store.close();
    const db = openSqlite(join(dir, 'me.sqlite'));
    db.exec('ALTER TABLE intents DROP COLUMN unfound_at');
    db.pragma('user_version = 2');
    db.close();
    const upgraded = openIn(dir);
    expect(await upgraded.pairs(folder)).toEqual(
      expect.arrayContaining([
        { left: '1', right: 'a', flags: ['\\Seen'], identity: 'mid:<1:2@x>' },
        { left: '2', right: 'b', flags: [] },
        { left: '3', right: 'c', flags: [] },
      ]),
    );
    expect((await upgraded.intents(folder)).map((intent) => intent.identity)).toEqual(['mid:<4@x>', undefined]);
    await upgraded.close();
    const check = openSqlite(join(dir, 'me.sqlite'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });

  it('upgrades a version 3 database: its open intents are kept, none marked unfound, and can be marked', async () => {
    const dir = newDir();
    const store = openIn(dir);
    const folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;
    const { intentIds } = await store.commit(folder, { openIntents: [{ from: 'right', sourceId: '7', identity: 'mid:<7@x>' }] });
    await store.close();
    const db = openSqlite(join(dir, 'me.sqlite'));
    db.exec('ALTER TABLE intents DROP COLUMN unfound_at');
    db.pragma('user_version = 3');
    db.close();
    const upgraded = openIn(dir);
    expect(await upgraded.intents(folder)).toStrictEqual([{ id: intentIds[0], folderPairId: folder, from: 'right', sourceId: '7', identity: 'mid:<7@x>', createdAt: expect.any(Number) }]);
    await upgraded.commit(folder, { markUnfound: intentIds });
    expect((await upgraded.intents(folder))[0]!.unfoundAt).toEqual(expect.any(Number));
    await upgraded.close();
    const check = openSqlite(join(dir, 'me.sqlite'), { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(4);
    check.close();
  });

  it('refuses an SQLite database that is not ours', () => {
    const dir = newDir();
    const db = openSqlite(join(dir, 'me.sqlite'));
    db.exec('CREATE TABLE contacts (name TEXT)');
    db.close();
    expect(() => openIn(dir)).toThrow(StateCorruptError);
  });

  it('rolls back a commit that SQLite refuses midway', async () => {
    const store = openIn(newDir());
    const folder = (await store.ensureFolderPair('INBOX', 'INBOX')).id;
    await store.commit(folder, { upsertPairs: [{ left: '1', right: 'a', flags: [] }] });
    // A value SQLite cannot bind fails at the intent insert, after the pairs were written.
    await expect(
      store.commit(folder, {
        removePairs: [{ left: '1' }],
        upsertPairs: [{ left: '2', right: 'b', flags: [] }],
        openIntents: [{ from: 'left', sourceId: { not: 'a string' } as unknown as string }],
      }),
    ).rejects.toThrow();
    expect(await store.pairs(folder)).toStrictEqual([{ left: '1', right: 'a', flags: [] }]);
    expect(await store.intents(folder)).toStrictEqual([]);
    await store.close();
  });
});
