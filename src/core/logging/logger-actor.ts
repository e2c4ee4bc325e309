import { createRequire } from 'node:module';
import type { MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import { REDACTED } from './redact.js';

export interface LoggerActorOptions {
  /** Human-readable output (a TTY); JSON lines otherwise. */
  pretty: boolean;
  /** File to write to; standard error when absent. */
  file?: string;
  /** Secret values to blank out of every line, whatever key carried them (e.g. a password read at start). */
  secrets?: string[];
}

/**
 * The logger worker: receives JSON log lines from every worker's log port
 * and writes them, pretty on a TTY, JSON lines otherwise.
 */
export class LoggerActor {
  private readonly out: { write(line: string): unknown; flushSync?(): void };
  private readonly secrets: string[];

  constructor(options: LoggerActorOptions) {
    const fd = options.file ? undefined : 2;
    const destination = pino.destination({ ...(options.file ? { dest: options.file } : { fd }), sync: true, mkdir: true });
    // pino-pretty costs some 50 ms of CPU to load: only on a TTY, where it is used.
    const pretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    this.out = options.pretty
      ? pretty()({ destination, colorize: !options.file, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', messageFormat: '[{worker}] {msg}' })
      : destination;
    this.secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  }

  attachLogPort(port: MessagePort): void {
    port.on('message', (line: string) => this.write(line));
  }

  /** Logs one record on behalf of the main thread. */
  log(line: string): void {
    this.write(line);
  }

  stop(): void {
    this.out.flushSync?.();
  }

  private write(line: string): void {
    let clean = line.endsWith('\n') ? line : `${line}\n`;
    for (const secret of this.secrets) clean = clean.split(secret).join(REDACTED);
    this.out.write(clean);
  }
}
