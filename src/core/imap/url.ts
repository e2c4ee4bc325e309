import { isIP } from 'node:net';
import { ConfigError } from '../../api/errors.js';

/** Where and as whom to log in, parsed from `imap[s]://USER@HOST[:PORT]`. */
export interface ImapServer {
  /** True for `imaps://` (TLS from the first byte); false for `imap://` (STARTTLS). */
  implicitTls: boolean;
  host: string;
  port: number;
  user: string;
}

/**
 * Parses `imaps://USER@HOST[:PORT]` (implicit TLS, port 993 by default) or
 * `imap://USER@HOST[:PORT]` (STARTTLS, port 143 by default). The user may be
 * percent-encoded (`me%40example.com`). A password in the URL is refused: it
 * would end up in config files and logs; use the `password` option.
 */
export function parseImapUrl(url: string): ImapServer {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(`url "${maskPassword(url)}" is not a valid URL; expected imaps://USER@HOST[:PORT] or imap://USER@HOST[:PORT]`);
  }
  const shown = maskPassword(url);
  if (parsed.protocol !== 'imap:' && parsed.protocol !== 'imaps:') {
    throw new ConfigError(`url "${shown}" must start with imaps:// (TLS) or imap:// (STARTTLS)`);
  }
  if (parsed.password) {
    throw new ConfigError(`url "${shown}" contains a password; remove it and use the password option instead`);
  }
  if (!parsed.username) {
    throw new ConfigError(`url "${shown}" has no user; expected ${parsed.protocol}//USER@HOST`);
  }
  if (!parsed.hostname) {
    throw new ConfigError(`url "${shown}" has no host; expected ${parsed.protocol}//USER@HOST`);
  }
  if ((parsed.pathname && parsed.pathname !== '/') || parsed.search || parsed.hash) {
    throw new ConfigError(`url "${shown}" must not have a path, query or fragment; folders are chosen by the app, not the url`);
  }
  const implicitTls = parsed.protocol === 'imaps:';
  const port = parsed.port ? Number(parsed.port) : implicitTls ? 993 : 143;
  if (port < 1) throw new ConfigError(`url "${shown}" has an invalid port ${parsed.port}`);
  let user: string;
  try {
    user = decodeURIComponent(parsed.username);
  } catch {
    throw new ConfigError(`url "${shown}" has a badly percent-encoded user`);
  }
  // URL keeps the brackets of an IPv6 literal; sockets want the bare address.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return { implicitTls, host, port, user };
}

/** True for 127.0.0.0/8, ::1 and localhost: traffic that never leaves the machine. */
export function isLoopbackHost(host: string): boolean {
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  if (isIP(name) === 6) return name === '::1' || /^::ffff:127\./.test(name);
  return false;
}

/** `user@host` of an `imap[s]://` URL, the host in lower case: the server account a state is of, whatever the scheme and port. */
export function accountOfUrl(url: string): string {
  const { user, host } = parseImapUrl(url);
  return `${user}@${host.toLowerCase()}`;
}

/** `user@host` (or `user@host:port` off the default port), for messages. */
export function describeServer(server: ImapServer): string {
  const defaultPort = server.implicitTls ? 993 : 143;
  const host = server.host.includes(':') ? `[${server.host}]` : server.host;
  return `${server.user}@${host}${server.port === defaultPort ? '' : `:${server.port}`}`;
}

function maskPassword(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:@/]*):[^@/]*@/i, '$1:***@');
}
