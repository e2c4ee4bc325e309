import type { MessagePort } from 'node:worker_threads';
import { ImapfwError } from '../../api/errors.js';
import { withoutSecrets } from '../output/secrets.js';

/** What a worker reports to the main thread over its error link. */
export interface ErrorRecord {
  worker: string;
  name: string;
  message: string;
  code?: string;
  stack?: string;
  /** 'exception', 'rejection', 'exit' (the worker died or exited unexpectedly). */
  kind: 'exception' | 'rejection' | 'exit' | 'start';
  /** One of imapfw's typed errors (ImapfwError): its message says what failed and what to do. */
  typed?: true;
}

export type WorkerToMain =
  | { type: 'ready' }
  | { type: 'error'; record: ErrorRecord }
  | { type: 'stopped' };

export type MainToWorker =
  | { type: 'stop' }
  /** A peer restarted: here is this worker's new end of channel `channel`. */
  | { type: 'rebind'; channel: string; kind: 'rpc' | 'log'; role: 'client' | 'server'; port: MessagePort };

/** The record of `error`, with every secret this thread knows redacted. */
export function errorRecord(worker: string, kind: ErrorRecord['kind'], error: unknown): ErrorRecord {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      worker,
      kind,
      name: error.name,
      message: withoutSecrets(error.message),
      ...(typeof code === 'string' || typeof code === 'number' ? { code: String(code) } : {}),
      ...(error instanceof ImapfwError ? { typed: true as const } : {}),
      ...(error.stack ? { stack: withoutSecrets(error.stack) } : {}),
    };
  }
  return { worker, kind, name: 'Error', message: withoutSecrets(String(error)) };
}

/**
 * One line a user can act on: which worker, what failed. An actor refusing
 * to start with a typed error (a state directory it cannot write, a refused
 * login) is told by its message alone, which names what to fix.
 */
export function describeRecord(record: ErrorRecord): string {
  if (record.kind === 'start' && record.typed) return record.message;
  const code = record.code ? ` [${record.code}]` : '';
  return `worker "${record.worker}" failed (${record.kind}): ${record.name}${code}: ${record.message}`;
}
