import type { Logger as ImapFlowLogger } from 'imapflow';
import type { Logger } from 'pino';

/**
 * The logger handed to imapflow. Its info lines are connection chatter (TCP
 * connected, TLS established, logged in, closed): they go to debug, beside the
 * IMAP traffic, so that a run from cron or a script prints nothing on success,
 * as mbsync does. A server's [ALERT] is the exception: RFC 9051 (7.1) says its
 * text must reach the user, so it is a warning.
 *
 * A warning or an error that carries an `err` is a command or a connection
 * that failed: imapfw reports that failure itself, typed, so imapflow's own
 * line (with its stack) goes to debug instead of repeating it after the
 * run's summary. Where imapflow answers a refusal with `false` rather than an
 * error, the server's answer is only in that line: `takeRefusal` gives it to
 * the repository's error. Warnings about what a server did (a flag it
 * dropped, a throttled request retried) stay.
 *
 * `isLevelEnabled` is what imapflow asks before it writes every command and
 * every response back into text for its trace and debug lines: without it,
 * imapflow assumes every level is on and does that work for nothing at info.
 * Without a logger, nothing is written but refusals are still kept.
 */
export interface ImapflowLog extends ImapFlowLogger {
  isLevelEnabled(level: string): boolean;
  /** The server's answer to the last command that failed (`NO [CODE] text`), once: a second call gives undefined. */
  takeRefusal(): string | undefined;
}

export function imapflowLogger(logger: Logger | undefined): ImapflowLog {
  const log = logger?.child({ component: 'imapflow' });
  let refusal: string | undefined;
  const failed = (entry: unknown, level: 'warn' | 'error') => {
    const err = failureOf(entry);
    if (!err) return log?.[level](entry);
    refusal = answerOf(err);
    log?.debug(entry);
  };
  return {
    isLevelEnabled: (level) => log?.isLevelEnabled(level) ?? false,
    trace: (entry) => log?.trace(entry),
    debug: (entry) => log?.debug(entry),
    info: (entry) => (isAlert(entry) ? log?.warn(entry) : log?.debug(entry)),
    warn: (entry) => failed(entry, 'warn'),
    error: (entry) => failed(entry, 'error'),
    fatal: (entry) => log?.fatal(entry),
    takeRefusal() {
      const taken = refusal;
      refusal = undefined;
      return taken;
    },
  };
}

interface ImapflowError {
  message?: string;
  responseStatus?: string;
  serverResponseCode?: string;
  responseText?: string;
}

/** The `err` of a failure entry, if it has one. */
function failureOf(entry: unknown): ImapflowError | undefined {
  const err = typeof entry === 'object' && entry !== null ? (entry as { err?: unknown }).err : undefined;
  return typeof err === 'object' && err !== null ? (err as ImapflowError) : undefined;
}

function answerOf(err: ImapflowError): string | undefined {
  if (!err.responseStatus) return err.message;
  return [err.responseStatus, err.serverResponseCode && `[${err.serverResponseCode}]`, err.responseText].filter(Boolean).join(' ');
}

function isAlert(entry: unknown): boolean {
  return typeof entry === 'object' && entry !== null && (entry as { msg?: unknown }).msg === 'Server alert';
}
