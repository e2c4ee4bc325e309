import type { Logger as ImapFlowLogger } from 'imapflow';
import type { Logger } from 'pino';

/**
 * The logger handed to imapflow. Its info lines are connection chatter (TCP
 * connected, TLS established, logged in, closed): they go to debug, beside the
 * IMAP traffic, so that a run from cron or a script prints nothing on success,
 * as mbsync does. A server's [ALERT] is the exception: RFC 9051 (7.1) says its
 * text must reach the user, so it is a warning.
 *
 * `isLevelEnabled` is what imapflow asks before it writes every command and
 * every response back into text for its trace and debug lines: without it,
 * imapflow assumes every level is on and does that work for nothing at info.
 */
export function imapflowLogger(logger: Logger): ImapFlowLogger & { isLevelEnabled: (level: string) => boolean } {
  const log = logger.child({ component: 'imapflow' });
  return {
    isLevelEnabled: (level) => log.isLevelEnabled(level),
    trace: (entry) => log.trace(entry),
    debug: (entry) => log.debug(entry),
    info: (entry) => (isAlert(entry) ? log.warn(entry) : log.debug(entry)),
    warn: (entry) => log.warn(entry),
    error: (entry) => log.error(entry),
    fatal: (entry) => log.fatal(entry),
  };
}

function isAlert(entry: unknown): boolean {
  return typeof entry === 'object' && entry !== null && (entry as { msg?: unknown }).msg === 'Server alert';
}
