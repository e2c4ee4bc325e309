import type { MessagePort } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { redactSecrets } from './redact.js';

/**
 * The logger of one worker. Records are serialised here (secrets redacted)
 * and the JSON line posted to the logger actor over the worker's log port:
 * no extra pino transport thread per worker. Without a log port (no
 * LoggerManager), lines go to stderr. The level comes from IMAPFW_LOG_LEVEL,
 * which workers inherit from the main thread (default 'info').
 */
export function workerLogger(worker: string, port: MessagePort | undefined, level = process.env.IMAPFW_LOG_LEVEL ?? 'info'): Logger {
  const destination = port
    ? { write: (line: string) => port.postMessage(line) }
    : pino.destination({ fd: 2, sync: true });
  return pino(
    {
      level,
      base: { worker },
      formatters: { log: (record) => redactSecrets(record) },
    },
    destination,
  );
}
