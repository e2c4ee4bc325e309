import type { MessagePort } from 'node:worker_threads';
import { pino, type Logger } from 'pino';
import { withoutSecrets } from '../output/secrets.js';
import { redactSecrets } from './redact.js';

/**
 * The logger of one worker. Records are serialised here (secret-looking keys
 * and every secret this thread knows redacted) and the JSON line posted to the logger actor over the worker's log port:
 * no extra pino transport thread per worker. Without a log port (no
 * LoggerManager), lines go to stderr. The level comes from IMAPFW_LOG_LEVEL,
 * which workers inherit from the main thread (default 'info').
 */
export function workerLogger(worker: string, port: MessagePort | undefined, level = process.env.IMAPFW_LOG_LEVEL ?? 'info'): Logger {
  const stderr = port ? undefined : pino.destination({ fd: 2, sync: true });
  const destination = { write: (line: string) => (port ? port.postMessage(withoutSecrets(line)) : stderr!.write(withoutSecrets(line))) };
  return pino(
    {
      level,
      base: { worker },
      formatters: { log: (record) => redactSecrets(record) },
    },
    destination,
  );
}
