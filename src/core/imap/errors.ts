import {
  AuthError,
  ConfigError,
  DailyLimitError,
  FolderNotFoundError,
  ImapfwError,
  NetworkError,
  StoreError,
  ThrottledError,
  TooBigError,
} from '../../api/errors.js';
import { withoutSecrets } from '../output/secrets.js';

/** What was being done when an imapflow call failed, for the error message. */
export interface ImapErrorContext {
  /** `user@host`. */
  account: string;
  /** e.g. 'scan', 'store', 'connect'. */
  operation: string;
  /** Canonical folder name the operation was about, if any. */
  folder?: string;
  /** True when the connection is no longer usable after the failure. */
  connectionLost?: boolean;
}

/** Socket and imapflow codes that mean the connection failed or went away. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
  'NoConnection',
  'EConnectionClosed',
  'StateLogout',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
]);

/** How servers without [TOOBIG] word a refused literal ("Literal too large", "message size exceeds limit"). */
const TOO_BIG_TEXT = /too (large|big)|exceeds?\b.*\b(size|limit)|size limit|maximum (message )?size/i;

/** Node's codes for a certificate that failed verification. */
const CERTIFICATE_CODE = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS_/;

interface ImapflowFailure {
  message?: string;
  code?: string;
  authenticationFailed?: boolean;
  tlsFailed?: boolean;
  mailboxMissing?: boolean;
  serverResponseCode?: string;
  /** 'NO' or 'BAD' when the server answered the command (imapflow sets it from the tagged response). */
  responseStatus?: string;
  responseText?: string;
  /** The server's answer as text (imapflow rewrites the parsed response into a string). */
  response?: unknown;
}

/**
 * Maps anything imapflow (or the socket under it) throws to one of our typed
 * errors. An ImapfwError passes through unchanged. The server's text is
 * quoted without any secret this thread knows (a server may echo the
 * password it was sent).
 *
 * - the server refused the login -> AuthError (never retried);
 * - a message too large (NO [TOOBIG], a NO/BAD saying so, our own literal
 *   limit) -> TooBigError, even when the server then closed the connection;
 * - refused / reset / timed out / closed connection -> NetworkError (retryable);
 * - the folder does not exist -> FolderNotFoundError;
 * - a certificate that fails verification -> ConfigError (needs `tls.ca` or a fixed server);
 * - TLS spoken to a port that answers in plain text -> ConfigError (the URL's scheme or port);
 * - any other NO/BAD -> StoreError with the server's text.
 */
export function toImapfwError(error: unknown, context: ImapErrorContext): ImapfwError {
  if (error instanceof ImapfwError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : { message: String(error) }) as ImapflowFailure;
  const code = typeof failure.code === 'string' ? failure.code : '';
  const where = context.folder === undefined ? context.account : `"${context.folder}" on ${context.account}`;
  const serverText = withoutSecrets(describeServerAnswer(failure));
  const detail = withoutSecrets(failure.message ?? '');

  // imapflow's AuthenticationFailure sets `authenticationFailed`.
  if (failure.authenticationFailed) {
    return new AuthError(
      `login as ${context.account} refused${serverText ? ` (${serverText})` : ''}; check the user name and the password`,
      { cause: error },
    );
  }
  // imaps:// to a port that speaks plain text first (143): the greeting read as a TLS record. Running again cannot help.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(detail)) {
    return new ConfigError(
      `${context.account} answered in plain text where imaps:// expects TLS (${code || detail}): use imap:// (STARTTLS) for this port, or the server's TLS port (usually 993) with imaps://`,
    );
  }
  if (CERTIFICATE_CODE.test(code)) {
    return new ConfigError(
      `TLS certificate of ${context.account} rejected (${code}: ${detail}); fix the server certificate or pass its CA in tls.ca`,
    );
  }
  // The server answered the command: its answer is the cause, even if it closed the connection after it.
  const answered = failure.responseStatus === 'NO' || failure.responseStatus === 'BAD';
  if (failure.serverResponseCode === 'TOOBIG' || code === 'LiteralTooLarge' || (answered && TOO_BIG_TEXT.test(serverText))) {
    return new TooBigError(`${context.operation} in ${where}: message too large for the server (${serverText || failure.message}); it is skipped, and trying again will not help`, {
      cause: error,
    });
  }
  if (NETWORK_CODES.has(code) || (context.connectionLost && !answered)) {
    return new NetworkError(
      `connection to ${context.account} failed during ${context.operation} (${code || detail})`,
      { cause: error },
    );
  }
  if (failure.mailboxMissing || code === 'NotFound' || failure.serverResponseCode === 'NONEXISTENT' || failure.serverResponseCode === 'TRYCREATE') {
    return new FolderNotFoundError(context.folder ?? '(unknown)', { cause: error });
  }
  const limit = providerLimit(responseCodeOf(failure), serverText, where, context.operation, error);
  if (limit) return limit;
  if (code === 'ETHROTTLE') {
    return new StoreError(`${context.operation} in ${where} throttled by the server; try again later`, { cause: error, retryable: true });
  }
  return new StoreError(`${context.operation} in ${where} failed: ${serverText || detail || 'unknown error'}`, { cause: error });
}

/**
 * The response code of the server's answer, 'THROTTLED' of "7 NO [THROTTLED] ...":
 * imapflow sets serverResponseCode for some commands only, and leaves the
 * answer as text or as its parsed form ({ attributes: [{ section: [{ value }] }] }).
 */
function responseCodeOf(failure: ImapflowFailure): string | undefined {
  if (failure.serverResponseCode) return failure.serverResponseCode;
  const response = failure.response;
  if (typeof response === 'string') return /^\S+ (?:NO|BAD|BYE) \[([A-Z0-9-]+)[\] ]/i.exec(response)?.[1]?.toUpperCase();
  const section = (response as { attributes?: { section?: { value?: unknown }[] }[] } | undefined)?.attributes?.[0]?.section?.[0]?.value;
  return typeof section === 'string' ? section.toUpperCase() : undefined;
}

/** How long a daily limit lasts: the run says to come back after this. */
const DAY_MS = 24 * 3600 * 1000;
/** Microsoft 365: "Request is throttled. Suggested Backoff Time: 2000 milliseconds". */
const MICROSOFT_THROTTLED = /Request is throttled\. Suggested Backoff Time: (\d+) milliseconds/i;
/** Gmail's words for its daily IMAP download/upload bandwidth (and command) limits. */
const GMAIL_DAILY_LIMIT = /Account exceeded command or bandwidth limits|bandwidth limit|download limit|upload limit|daily/i;

/**
 * The providers' answers meaning "slow down" (wait as told, or back off, and
 * go on) and "enough for today" (stop; run again tomorrow).
 */
function providerLimit(responseCode: string | undefined, text: string, where: string, operation: string, cause: unknown): ThrottledError | DailyLimitError | undefined {
  const suggested = MICROSOFT_THROTTLED.exec(text);
  if (suggested) return new ThrottledError(`${operation} in ${where} throttled by the server, which asks to wait ${suggested[1]} ms`, Number(suggested[1]), { cause });
  if (responseCode === 'THROTTLED') return new ThrottledError(`${operation} in ${where} throttled by the server (${text || 'THROTTLED'})`, undefined, { cause });
  if (responseCode === 'OVERQUOTA' ? GMAIL_DAILY_LIMIT.test(text) || text === '' : /Account exceeded command or bandwidth limits/i.test(text)) {
    const after = new Date(Date.now() + DAY_MS).toISOString().replace(/:\d\d\.\d+Z$/, ' UTC').replace('T', ' ');
    return new DailyLimitError(
      `${operation} in ${where}: the provider's daily limit is used up (${text || responseCode}); nothing more can be copied today. ` +
        `Run again after ${after} (limits are counted over 24 hours): the run resumes where this one stopped`,
      { cause },
    );
  }
  return undefined;
}

function describeServerAnswer(failure: ImapflowFailure): string {
  const text = [failure.responseText, failure.response].find((value): value is string => typeof value === 'string' && value !== '') ?? '';
  // Dovecot appends its timings, e.g. " (0.001 + 0.000 secs).": noise in an error message.
  return text.replace(/\s*\(\d+\.\d+(?: \+ \d+\.\d+)* secs\)\.?$/, '');
}
