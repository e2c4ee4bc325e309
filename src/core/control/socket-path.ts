/**
 * Where a state directory's control socket lives. One socket per state
 * directory: `STATE_DIR/imapfw.sock`. A Unix socket's path must fit in
 * sun_path (108 bytes on Linux, 104 on macOS, counting the final NUL); a
 * state directory too deep for that gets its socket in the user's runtime
 * directory ($XDG_RUNTIME_DIR, private to the user), else in a directory of
 * /tmp that only the user can enter, named by a hash of the state
 * directory, so the daemon and `imapfw ctl` find the same one.
 */
import { createHash } from 'node:crypto';
import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError } from '../../api/errors.js';
import { makeDirsSync } from '../make-dirs.js';

export const SOCKET_NAME = 'imapfw.sock';
/** The longest path that binds everywhere we run (macOS's 104-byte sun_path, less the NUL). */
const MAX_SOCKET_PATH_BYTES = 103;
/** The daemon binds in a private directory beside the socket first (see control-server.ts): `.ctl-XXXXXX/s` is this much longer than `imapfw.sock`. */
const BIND_DETOUR_BYTES = '.ctl-XXXXXX/s'.length - SOCKET_NAME.length;

export interface SocketPlace {
  /** The socket's path. */
  path: string;
  /** True when the state directory was too deep and the socket lives elsewhere (the daemon says where). */
  relocated: boolean;
}

/** The control socket of `stateDir` (an absolute path, as the apps resolve it). */
export function controlSocketPlace(stateDir: string): SocketPlace {
  const inStateDir = join(stateDir, SOCKET_NAME);
  if (fits(inStateDir)) return { path: inStateDir, relocated: false };
  const path = join(privateRuntimeDir(), `imapfw-${stateDirDigest(stateDir)}.sock`);
  if (!fits(path)) throw new ConfigError(`no room for the control socket: ${path} is longer than a Unix socket path may be; set XDG_RUNTIME_DIR to a short directory`);
  return { path, relocated: true };
}

function fits(path: string): boolean {
  return Buffer.byteLength(path) + BIND_DETOUR_BYTES <= MAX_SOCKET_PATH_BYTES;
}

/** The same state directory reached by two spellings (a symbolic link) gets the same socket. */
function stateDirDigest(stateDir: string): string {
  let canonical = resolve(stateDir);
  try {
    canonical = realpathSync(canonical);
  } catch {
    // Not created yet: no daemon can run there, the resolved path names it.
  }
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

/** $XDG_RUNTIME_DIR when set (the XDG spec: owned by the user, mode 0700); else /tmp/imapfw-UID, created 0700 and checked to be ours. */
function privateRuntimeDir(): string {
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && isAbsolute(xdg)) return xdg;
  const uid = process.getuid?.() ?? 0;
  const dir = join('/tmp', `imapfw-${uid}`);
  makeDirsSync(dir, 0o700);
  // Anyone may create a name in /tmp first: use it only if it is a real directory, ours, closed to others.
  const stat = lstatSync(dir);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new ConfigError(`${dir} is not a private directory of this user (it holds the control socket of a deep state directory); remove it, or set XDG_RUNTIME_DIR`);
  }
  return dir;
}
