import type { Socket } from 'node:net';
import type { ImapFlow } from 'imapflow';

/**
 * What imapflow keeps on an instance and does not type, all that imapfw
 * reads or calls of it: the socket and the command in flight (deadline.ts),
 * the command queue and its writes (multi-append.ts), and what a session
 * asks the server for nothing (open-mailbox.ts, connect.ts).
 */
export interface ImapflowInternals {
  socket?: Socket;
  currentRequest?: { command?: string; attributes?: unknown } | false;
  /** What is left to write of the command in flight; write() ends the command's line when this is empty. */
  commandParts: Buffer[];
  /** Writes one piece of the command in flight (a CRLF after it when nothing is left in commandParts). */
  write(chunk: Buffer | string): void;
  /**
   * Folders this session has listed, by server path. A SELECT of a path not
   * in it first sends `LIST "" path` (and an LSUB) only to copy the folder's
   * delimiter and special use into the mailbox object.
   */
  folders?: Map<string, { path: string }>;
  /** When set, LIST goes without the LSUB imapflow sends after it to learn which folders are subscribed. */
  skipLsub?: boolean;
  exec(command: string, attributes: unknown[], options?: { untagged?: boolean; onPlusTag?: () => unknown }): Promise<{ response: { attributes?: { section?: { value?: unknown }[] }[] }; next(): void }>;
}

export function internalsOf(client: ImapFlow): ImapflowInternals {
  return client as unknown as ImapflowInternals;
}
