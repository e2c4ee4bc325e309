// A real Dovecot 2.3 IMAP server per test: its own temp dir, config, port and
// process group, started in the foreground and torn down completely.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, openSync, readFileSync, rmSync, statSync } from 'node:fs';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

export interface DovecotOptions {
  /** user -> password; default { alice: 'alice-pw' } */
  users?: Record<string, string>;
  /** Hierarchy separator: '/' uses LAYOUT=fs (nested dirs), '.' the Maildir++ layout. Default '/'. */
  separator?: '/' | '.';
  /** Serve this existing directory as every user's Maildir. */
  maildirRoot?: string;
  /** Layout of maildirRoot; default 'fs' when separator is '/', else 'maildir++'. */
  layout?: 'maildir++' | 'fs';
  /** Replaces imap_capability entirely (Dovecot 2.3 has no "-CAP" syntax). */
  capabilities?: string;
  /** Record every command clients send after login (see commandsSeen). */
  rawlog?: boolean;
  /**
   * Also accept OAuth2 bearer tokens (the oauth2 passdb), checked by asking
   * `introspectionUrl` (GET with `Authorization: Bearer`; the answer must say
   * `active: "true"` and name the user as `username`). Passwords keep working.
   */
  oauth2?: { introspectionUrl: string; mechanisms?: ('xoauth2' | 'oauthbearer')[] };
  /** Offer COMPRESS=DEFLATE (RFC 4978, Dovecot's imap_zlib plugin), as Gmail and many Dovecots do. */
  compress?: boolean;
}

export interface DovecotServer {
  host: string;
  port: number;
  /** Temp dir holding config, homes, logs. */
  dir: string;
  /** Pid of the dovecot master process. */
  pid: number;
  users: Record<string, string>;
  separator: '/' | '.';
  layout: 'maildir++' | 'fs';
  /** Owner dovecot accesses mail as; files dropped into a Maildir must belong to it. */
  mailUid: number;
  mailGid: number;
  url(user: string): string;
  maildirOf(user: string): string;
  doveadm(args: string[]): Promise<string>;
  /** Commands sent by clients after login, tag stripped, literal bodies omitted, in time order. Needs rawlog. */
  commandsSeen(): Promise<string[]>;
  /** The same, one list per IMAP session (connection). Needs rawlog. */
  commandsBySession(): Promise<string[][]>;
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';

/** What Dovecot 2.3.19 advertises after login with the config below (older 2.3 releases lack e.g. SAVEDATE). */
export const DOVECOT_CAPABILITIES =
  'IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES THREAD=REFS ' +
  'THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE UIDPLUS LIST-EXTENDED ' +
  'I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH LIST-STATUS BINARY MOVE ' +
  'SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY';

/**
 * A value for `capabilities` advertising everything but `names`. Dovecot 2.3's
 * imap_capability only replaces the list (or appends with "+"), it cannot remove.
 * Hidden extensions stay usable by a client that ignores the list, and APPEND
 * still answers [APPENDUID …] without UIDPLUS.
 */
export function capabilitiesWithout(...names: string[]): string {
  const hidden = new Set(names.map((n) => n.toUpperCase()));
  return DOVECOT_CAPABILITIES.split(' ')
    .filter((c) => !hidden.has(c.toUpperCase()))
    .join(' ');
}

const isRoot = process.getuid?.() === 0;

/** Running instances (process group -> temp dir), killed and removed on exit as a backstop. */
const running = new Map<number, string>();
process.on('exit', () => {
  for (const [pgid, dir] of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

function findBinary(name: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];
  for (const dir of dirs) {
    const file = path.join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

/** uid/gid of a system user, from /etc/passwd (Node has no getpwnam). */
function systemUser(name: string): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) throw new Error(`system user ${name} not found (is dovecot-core installed?)`);
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Name of a group, from /etc/group. */
function groupName(gid: number): string {
  const line = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.split(':')[2] === String(gid));
  if (!line) throw new Error(`no group with gid ${gid} in /etc/group`);
  return line.split(':')[0]!;
}

/** A free TCP port on the loopback address. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, HOST, () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once the server sent its "* OK" greeting; rejects on refusal or timeout. */
function greeting(port: number, timeoutMs = 1000): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, HOST);
    const done = (err?: Error) => {
      sock.destroy();
      if (err) reject(err);
      else resolve();
    };
    sock.setTimeout(timeoutMs, () => done(new Error('no greeting')));
    sock.once('error', done);
    sock.once('close', () => done(new Error('closed without greeting'))); // e.g. imap-login failed to start
    sock.once('data', (d) => done(d.toString().startsWith('* OK') ? undefined : new Error(`bad greeting: ${d}`)));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends a signal to a process group; false when no process of it is left. */
function signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Signals a process group and waits until it is empty, escalating to SIGKILL after 5 s. */
async function endGroup(pgid: number, signal: NodeJS.Signals): Promise<void> {
  signalGroup(pgid, signal);
  // Bounded: members already dead but not yet reaped by init still count.
  for (let i = 0; i < 500 && signalGroup(pgid, 0); i++) {
    if (i === 250) signalGroup(pgid, 'SIGKILL');
    await sleep(20);
  }
}

/** chown -R, used only for a caller's root-owned maildirRoot (Dovecot refuses uid 0). */
async function chownTree(p: string, uid: number, gid: number): Promise<void> {
  await chown(p, uid, gid);
  if (!(await lstat(p)).isDirectory()) return;
  for (const e of await readdir(p)) await chownTree(path.join(p, e), uid, gid);
}

function config(o: {
  dir: string;
  port: number;
  separator: '/' | '.';
  mailLocation: string;
  mailUid: number;
  mailGid: number;
  capabilities?: string;
  rawlog: boolean;
  compress: boolean;
  oauth2?: { introspectionUrl: string; mechanisms?: ('xoauth2' | 'oauthbearer')[] };
  /** false when serving a caller's Maildir, which others may change under Dovecot */
  ownsMail: boolean;
}): string {
  // Not root: every Dovecot process runs as us.
  const me = os.userInfo().username;
  return `
protocols = imap
listen = ${HOST}
base_dir = ${o.dir}/run
state_dir = ${o.dir}/state
log_path = ${o.dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
# A wrong password is answered at once, not after 2 s.
auth_failure_delay = 0
default_internal_user = ${isRoot ? 'dovecot' : me}
default_login_user = ${isRoot ? 'dovenull' : me}
${isRoot ? '' : `default_internal_group = ${groupName(process.getgid!())}`}
first_valid_uid = 1
# Tests don't need durability; fsync would dominate seeding time.
mail_fsync = never
${o.ownsMail ? '# Only Dovecot writes here (dropIntoMaildir force-resyncs): no cur/ rescan after each APPEND, O(n^2) when seeding.\nmaildir_very_dirty_syncs = yes' : ''}
${o.oauth2 ? oauth2Passdb(o.dir, o.oauth2.mechanisms ?? ['xoauth2', 'oauthbearer']) : ''}passdb {
  driver = passwd-file
  args = ${o.dir}/passwd
${o.oauth2 ? '  mechanisms = plain login\n' : ''}}
userdb {
  driver = static
  args = uid=${o.mailUid} gid=${o.mailGid} home=${o.dir}/home/%u
}
mail_location = ${o.mailLocation}
namespace inbox {
  separator = ${o.separator}
  inbox = yes
}
${o.capabilities === undefined ? '' : `imap_capability = ${o.capabilities}`}
${o.rawlog || o.compress ? `protocol imap {\n${o.rawlog ? `  rawlog_dir = ${o.dir}/rawlog\n` : ''}${o.compress ? '  mail_plugins = $mail_plugins imap_zlib\n' : ''}}` : ''}
service imap-login {
  inet_listener imap {
    port = ${o.port}
  }
${isRoot ? '' : '  chroot =\n'}}
${anvil(isRoot, !!o.oauth2)}
`;
}

/**
 * Not root: no chroot. OAuth2: no auth penalty (a refused token delays the
 * next login from the same IP by 2 s, doubling up to 15 s), as refreshing
 * after a refusal is what the tests exercise.
 */
function anvil(isRoot: boolean, oauth2: boolean): string {
  const lines = [...(isRoot ? [] : ['  chroot =']), ...(oauth2 ? ['  unix_listener anvil-auth-penalty {', '    mode = 0', '  }'] : [])];
  return lines.length ? `service anvil {\n${lines.join('\n')}\n}` : '';
}

/** The oauth2 passdb, tried first for the OAuth2 mechanisms only; its settings file is written by startDovecot. */
function oauth2Passdb(dir: string, mechanisms: string[]): string {
  return `auth_mechanisms = plain login ${mechanisms.join(' ')}
passdb {
  driver = oauth2
  mechanisms = ${mechanisms.join(' ')}
  args = ${dir}/oauth2.conf.ext
}
`;
}

function oauth2Settings(introspectionUrl: string): string {
  return `introspection_url = ${introspectionUrl}
introspection_mode = auth
force_introspection = yes
username_attribute = username
active_attribute = active
active_value = true
timeout_msecs = 5000
`;
}

export async function startDovecot(options: DovecotOptions = {}): Promise<DovecotServer> {
  const dovecotBin = findBinary('dovecot');
  const doveadmBin = findBinary('doveadm');
  if (!dovecotBin || !doveadmBin) throw new Error('dovecot not found: apt-get install dovecot-imapd');

  const users = options.users ?? { alice: 'alice-pw' };
  const separator = options.separator ?? '/';
  const layout = options.layout ?? (separator === '/' ? 'fs' : 'maildir++');
  const root = options.maildirRoot && path.resolve(options.maildirRoot);

  // Dovecot never runs mail processes as root: as root use the dovecot user (or
  // the owner of maildirRoot), otherwise ourselves.
  let { uid: mailUid, gid: mailGid } = isRoot
    ? systemUser('dovecot')
    : { uid: process.getuid!(), gid: process.getgid!() };
  let restoreOwner: { uid: number; gid: number } | undefined;
  if (root && isRoot) {
    const st = statSync(root);
    if (st.uid === 0) {
      restoreOwner = { uid: st.uid, gid: st.gid };
      await chownTree(root, mailUid, mailGid);
    } else {
      mailUid = st.uid;
      mailGid = st.gid;
    }
  }

  const dir = await mkdtemp(path.join(os.tmpdir(), 'imapfw-dovecot-'));
  await chmod(dir, 0o755); // the mail user must reach its home inside
  const owned = async (p: string) => {
    await mkdir(p, { recursive: true });
    if (isRoot) await chown(p, mailUid, mailGid);
  };
  await mkdir(path.join(dir, 'home'));
  for (const user of Object.keys(users)) await owned(path.join(dir, 'home', user));
  if (options.rawlog) await owned(path.join(dir, 'rawlog'));
  await writeFile(
    path.join(dir, 'passwd'),
    Object.entries(users)
      .map(([u, p]) => `${u}:{PLAIN}${p}\n`)
      .join(''),
  );

  if (options.oauth2) await writeFile(path.join(dir, 'oauth2.conf.ext'), oauth2Settings(options.oauth2.introspectionUrl));
  const fsLayout = layout === 'fs' ? ':LAYOUT=fs' : '';
  // For a caller's Maildir, keep Dovecot's index files out of it (control files
  // such as dovecot-keywords stay: they carry the keyword names).
  const mailLocation = root ? `maildir:${root}${fsLayout}:INDEX=${dir}/home/%u/index` : `maildir:~/Maildir${fsLayout}`;
  const confPath = path.join(dir, 'dovecot.conf');
  const stderrPath = path.join(dir, 'stderr.log');

  let child: ChildProcess | undefined;
  let port = 0;
  for (let attempt = 0; !child; attempt++) {
    port = await freePort();
    const conf = config({
      dir,
      port,
      separator,
      mailLocation,
      mailUid,
      mailGid,
      capabilities: options.capabilities,
      rawlog: !!options.rawlog,
      compress: !!options.compress,
      ...(options.oauth2 ? { oauth2: options.oauth2 } : {}),
      ownsMail: !root,
    });
    await writeFile(confPath, conf);
    const errFd = openSync(stderrPath, 'w');
    // detached: own process group, so stop() can signal dovecot and every child it forked.
    const proc = spawn(dovecotBin, ['-F', '-c', confPath], { detached: true, stdio: ['ignore', 'ignore', errFd] });
    closeSync(errFd);
    running.set(proc.pid!, dir);
    let exited = false;
    proc.once('exit', () => (exited = true));
    const deadline = Date.now() + 15_000;
    for (;;) {
      if (exited) break;
      try {
        await greeting(port);
        child = proc;
        break;
      } catch {
        if (Date.now() > deadline) break;
        await sleep(20);
      }
    }
    if (child) break;
    await endGroup(proc.pid!, 'SIGKILL');
    running.delete(proc.pid!);
    const log = await readLogs(dir);
    if (attempt < 4 && /Address already in use/.test(log)) continue;
    await rm(dir, { recursive: true, force: true });
    if (restoreOwner) await chownTree(root!, restoreOwner.uid, restoreOwner.gid);
    throw new Error(`dovecot did not start:\n${log}`);
  }

  // Kills the group and removes the dir even if this process dies without
  // running 'exit' handlers (vitest stops its fork workers with SIGTERM): the
  // watchdog's stdin closes with us.
  const pgid = child.pid!;
  const watchdogScript = 'read _; kill -KILL -"$1"; rm -rf "$2"';
  const watchdog = spawn('/bin/sh', ['-c', watchdogScript, 'imapfw-dovecot-watchdog', String(pgid), dir], {
    detached: true,
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  watchdog.unref();
  (watchdog.stdin as unknown as { unref(): void }).unref();
  child.unref();
  const childExit = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

  const server: DovecotServer = {
    host: HOST,
    port,
    dir,
    pid: pgid,
    users,
    separator,
    layout,
    mailUid,
    mailGid,
    url: (user) => `imap://${user}@${HOST}:${port}`,
    maildirOf: (user) => root ?? path.join(dir, 'home', user, 'Maildir'),
    doveadm: async (args) => {
      try {
        const { stdout } = await promisify(execFile)(doveadmBin, ['-c', confPath, ...args], { maxBuffer: 64 << 20 });
        return stdout;
      } catch (err) {
        const e = err as Error & { stderr?: string };
        throw new Error(`doveadm ${args.join(' ')} failed: ${e.stderr || e.message}`);
      }
    },
    commandsSeen: async () => {
      if (!options.rawlog) throw new Error('commandsSeen() needs startDovecot({ rawlog: true })');
      return (await readRawlogs(path.join(dir, 'rawlog')))
        .flat()
        .sort((a, b) => a.t - b.t)
        .map((s) => s.line);
    },
    commandsBySession: async () => {
      if (!options.rawlog) throw new Error('commandsBySession() needs startDovecot({ rawlog: true })');
      return (await readRawlogs(path.join(dir, 'rawlog'))).map((session) => session.map((s) => s.line));
    },
    stop: () => (stopping ??= stop()),
  };
  let stopping: Promise<void> | undefined;
  const stop = async () => {
    child.ref(); // unref'd while running; a script awaiting stop() must not exit early
    watchdog.kill('SIGKILL');
    // The master does not wait for its children (an imap process serving a
    // session outlived it by ~10 s): signal and await the whole group.
    await Promise.all([childExit, endGroup(pgid, 'SIGTERM')]);
    running.delete(pgid);
    await rm(dir, { recursive: true, force: true });
    if (restoreOwner) await chownTree(root!, restoreOwner.uid, restoreOwner.gid);
  };
  return server;
}

async function readLogs(dir: string): Promise<string> {
  const read = (f: string) => readFile(path.join(dir, f), 'utf8').catch(() => '');
  return (await read('stderr.log')) + (await read('dovecot.log'));
}

/**
 * Parses rawlog_dir ".in" files. Dovecot prefixes every line with
 * "<seconds>.<micros> ", lines inside literals included, so the prefix is
 * stripped from each line and literals ({N} / {N+}) are skipped by byte count.
 */
async function readRawlogs(rawlogDir: string): Promise<{ t: number; line: string }[][]> {
  const sessions: { t: number; line: string }[][] = [];
  for (const file of (await readdir(rawlogDir)).filter((f) => f.endsWith('.in'))) {
    const raw = await readFile(path.join(rawlogDir, file));
    const seen: { t: number; line: string }[] = [];
    sessions.push(seen);
    let command: { t: number; text: string } | undefined;
    let literalLeft = 0;
    for (let pos = 0; pos < raw.length; ) {
      const space = raw.indexOf(0x20, pos);
      const nl = raw.indexOf(0x0a, space);
      const end = nl < 0 ? raw.length : nl + 1;
      const t = Number(raw.subarray(pos, space).toString());
      let content = raw.subarray(space + 1, end);
      pos = end;
      const skip = Math.min(literalLeft, content.length);
      literalLeft -= skip;
      content = content.subarray(skip);
      if (content.length === 0) continue;
      const text = content.toString('latin1').replace(/\r?\n$/, '');
      command = command ? { t: command.t, text: command.text + text } : { t, text };
      if (nl < 0) break; // incomplete last line
      const literal = /\{(\d+)\+?\}$/.exec(text);
      if (literal) {
        literalLeft = Number(literal[1]);
      } else {
        seen.push({ t: command.t, line: command.text.replace(/^\S+ (?=\S)/, '') });
        command = undefined;
      }
    }
  }
  return sessions;
}
