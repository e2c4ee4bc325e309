import type { ImapFlow } from 'imapflow';
import type { Logger } from 'pino';
import { ConfigError } from '../../api/errors.js';
import type { Login } from './credentials.js';
import { registerSecret } from '../output/secrets.js';
import { sliceLargeWrites } from './deadline.js';
import { toImapfwError } from './errors.js';
import { imapflowLogger, type ImapflowLog } from './imapflow-logger.js';
import { internalsOf } from './imapflow-internals.js';
import { loadImapFlow } from './load-imapflow.js';
import { describeServer, isLoopbackHost, type ImapServer } from './url.js';

export interface ConnectOptions {
  server: ImapServer;
  /** A password (LOGIN / AUTHENTICATE PLAIN) or an OAuth2 access token (OAUTHBEARER when offered, else XOAUTH2). */
  login: Login;
  /** Log in without TLS to a host that is not loopback when the server offers no STARTTLS. */
  allowPlaintext?: boolean;
  tls?: { rejectUnauthorized?: boolean; ca?: string };
  logger?: Logger;
  connectTimeoutMs?: number;
  /** imapflow's own inactivity timer, a backstop behind the repository's deadline (default: imapflow's 5 minutes). */
  socketTimeoutMs?: number;
  /** Called with the client before it connects, so a deadline can watch the greeting and the login too. */
  onClient?: (client: ImapFlow) => void;
}

/**
 * Opens and authenticates one imapflow connection. TLS policy:
 *
 * - `imaps://`: TLS from the first byte; the certificate is verified
 *   (`tls.rejectUnauthorized: false` turns that off, `tls.ca` adds a CA).
 * - `imap://` to a host that is not loopback: STARTTLS is required; a server
 *   that does not offer it gets no password (ConfigError) unless
 *   `allowPlaintext: true`.
 * - `imap://` to loopback (127.0.0.0/8, ::1, localhost): plain text, never
 *   STARTTLS. The bytes never leave the machine, so TLS protects nothing,
 *   and a local server (a test Dovecot, a DavMail-style proxy) often has no
 *   certificate a check would accept.
 * - `imap://` to another host with `allowPlaintext: true`: STARTTLS when the
 *   server offers it (certificate verified as above), else plain text, with
 *   imapflow's warning that the session is unencrypted.
 *
 * A failed login is attempted exactly once: imapflow does not retry, and
 * neither do we. Errors come back typed (see toImapfwError).
 */
const logs = new WeakMap<ImapFlow, ImapflowLog>();

/** The server's answer to the client's last command that failed, once (see ImapflowLog.takeRefusal). */
export function takeRefusal(client: ImapFlow): string | undefined {
  return logs.get(client)?.takeRefusal();
}

export async function connectImap(options: ConnectOptions): Promise<ImapFlow> {
  const { server } = options;
  const account = describeServer(server);
  registerSecret('accessToken' in options.login ? options.login.accessToken : options.login.password);
  const loopback = isLoopbackHost(server.host);
  const { ImapFlow } = await loadImapFlow();
  const log = imapflowLogger(options.logger);
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: server.implicitTls,
    // true = STARTTLS or fail; undefined = STARTTLS when offered; false = never.
    doSTARTTLS: server.implicitTls ? undefined : loopback ? false : options.allowPlaintext === true ? undefined : true,
    tls: { rejectUnauthorized: options.tls?.rejectUnauthorized ?? true, ...(options.tls?.ca ? { ca: options.tls.ca } : {}) },
    auth: 'accessToken' in options.login ? { user: server.user, accessToken: options.login.accessToken } : { user: server.user, pass: options.login.password },
    // imapflow masks LOGIN/AUTHENTICATE arguments in its command log; raw socket logging (logRaw) stays off.
    logger: log,
    connectionTimeout: options.connectTimeoutMs ?? 30_000,
    ...(options.socketTimeoutMs !== undefined ? { socketTimeout: options.socketTimeoutMs } : {}),
    // QRESYNC makes the server report expunges as VANISHED (UIDs), which incremental scans rely on.
    qresync: true,
    // No IDLE between a caller's commands: each repository call is a short burst of commands.
    disableAutoIdle: true,
    clientInfo: { name: 'imapfw' },
  });
  // After connect() an error is emitted (once) instead of thrown; without a
  // listener it would crash the process. The next call sees `usable === false` and reconnects.
  client.on('error', (error: unknown) => options.logger?.debug({ err: error, account }, 'imap connection error'));
  logs.set(client, log);
  options.onClient?.(client);
  try {
    await client.connect();
  } catch (error) {
    client.close();
    throw connectError(error, account);
  }
  sliceLargeWrites(client);
  // imapfw never reads a folder's subscription: an LSUB after every LIST would be a round trip on the path of every run.
  internalsOf(client).skipLsub = true;
  return client;
}

function connectError(error: unknown, account: string): Error {
  const failure = error as { tlsFailed?: boolean; message?: string };
  if (failure?.tlsFailed && /STARTTLS/.test(failure.message ?? '')) {
    return new ConfigError(
      `${account} offers no STARTTLS; refusing to send the password or token in clear text to a host that is not loopback. ` +
        'Use imaps:// or set allowPlaintext: true',
    );
  }
  // toImapfwError quotes the server's answer without the password (registered as a secret before it was sent).
  return toImapfwError(error, { account, operation: 'connect' });
}
