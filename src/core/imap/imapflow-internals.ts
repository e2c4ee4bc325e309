import type { Socket } from 'node:net';
import type { ImapFlow } from 'imapflow';

/**
 * What imapflow keeps on an instance and does not type, all that imapfw
 * reads or calls of it: the socket and the command in flight (deadline.ts),
 * and the command queue (multi-append.ts).
 */
export interface ImapflowInternals {
  socket?: Socket;
  currentRequest?: { command?: string } | false;
  exec(command: string, attributes: unknown[], options?: unknown): Promise<{ response: { attributes?: { section?: { value?: unknown }[] }[] }; next(): void }>;
}

export function internalsOf(client: ImapFlow): ImapflowInternals {
  return client as unknown as ImapflowInternals;
}
