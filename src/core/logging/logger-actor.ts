import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { pino } from 'pino';
import type PinoPretty from 'pino-pretty';
import { printable } from '../output/printable.js';
import { registerSecret, withoutSecrets } from '../output/secrets.js';
import { makeDirsSync } from '../make-dirs.js';

export interface LoggerActorOptions {
  /** Human-readable output (a TTY); JSON lines otherwise. */
  pretty: boolean;
  /** File to write to; standard error when absent. */
  file?: string;
  /** Secret values to blank out of every line, whatever key carried them (e.g. a password read at start); registered as secrets of every output. */
  secrets?: string[];
}

/**
 * The logger worker: receives JSON log lines from every worker's log port
 * and writes them, pretty on a TTY, JSON lines otherwise. Every known secret
 * is redacted from every line, whichever worker wrote it (the workers redact
 * what they know too); on a terminal, control characters in the values (a
 * folder name, a server's answer) are shown escaped, never sent to it.
 */
export class LoggerActor {
  private readonly out: { write(line: string): unknown };
  private readonly pretty: boolean;
  private readonly ports: MessagePort[] = [];

  constructor(options: LoggerActorOptions) {
    const fd = options.file ? undefined : 2;
    if (options.file) makeDirsSync(dirname(options.file));
    const destination = pino.destination({ ...(options.file ? { dest: options.file } : { fd }), sync: true });
    // pino-pretty costs some 50 ms of CPU to load: only on a TTY, where it is used.
    const pretty = () => createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
    this.out = options.pretty
      ? pretty()({ destination, colorize: !options.file, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname', messageFormat: '[{worker}] {msg}' })
      : destination;
    this.pretty = options.pretty;
    for (const secret of options.secrets ?? []) registerSecret(secret);
  }

  attachLogPort(port: MessagePort): void {
    port.on('message', (line: string) => this.write(line));
    this.ports.push(port);
  }

  /** Logs one record on behalf of the main thread. */
  log(line: string): void {
    this.write(line);
  }

  /**
   * Writes the lines still queued on the log ports. The logger stops last, once every other worker has posted
   * its last lines, but a port's queue is read only as the event loop gets to it: the stop request, on a port of
   * its own, may come first. Nothing is left to flush: the destination writes each line as it comes (`sync`);
   * its flushSync would only add an fsync of the log, some 30 ms at the end of every run whose log is a file.
   */
  stop(): void {
    for (const port of this.ports) {
      for (let queued = receiveMessageOnPort(port); queued; queued = receiveMessageOnPort(port)) this.write(queued.message as string);
    }
  }

  private write(line: string): void {
    const clean = withoutSecrets(line.endsWith('\n') ? line : `${line}\n`);
    this.out.write(this.pretty ? terminalSafe(clean) : clean);
  }
}

/** A JSON log line whose strings (keys too) cannot act on a terminal once pino-pretty prints them; stack traces keep their line breaks. */
function terminalSafe(line: string): string {
  const escape = (value: unknown, key?: string): unknown => {
    if (typeof value === 'string') return printable(value, { newlines: key === 'stack' });
    if (typeof value !== 'object' || value === null) return value;
    if (Array.isArray(value)) return value.map((item) => escape(item));
    return Object.fromEntries(Object.entries(value).map(([k, item]) => [printable(k), escape(item, k)]));
  };
  try {
    return `${JSON.stringify(escape(JSON.parse(line)))}\n`;
  } catch {
    return `${printable(line.trimEnd())}\n`;
  }
}
