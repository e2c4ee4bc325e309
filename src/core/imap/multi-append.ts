import type { ImapFlow } from 'imapflow';
import type { UidClaim } from './append.js';
import { internalsOf, type ImapflowInternals } from './imapflow-internals.js';

/** One message of a MULTIAPPEND: its bytes as sent (CRLF line ends), flags and INTERNALDATE. */
export interface AppendItem {
  body: Uint8Array;
  flags: readonly string[];
  internalDate: number;
}

/** A flag an IMAP atom can carry (RFC 9051 ATOM-CHAR, a system flag's backslash first): anything else goes through imapflow's own APPEND, which drops it. */
const FLAG = /^\\?[^\x00-\x20\x7f-\uffff(){%*"\\\]]+$/;
/** A folder path sent as it is: printable ASCII without '&' (anything else needs modified UTF-7, imapflow's own APPEND does it). */
const PLAIN_PATH = /^[\x20-\x25\x27-\x7e]+$/;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Whether `items` can go to the folder at `path` in one MULTIAPPEND (RFC
 * 3502): the server offers it, and nothing in the batch needs what only
 * imapflow's own APPEND does (a folder name to encode, a flag to drop, a
 * message above APPENDLIMIT, an INTERNALDATE it cannot write).
 */
export function canAppendAtOnce(client: ImapFlow, path: string, items: readonly AppendItem[]): boolean {
  if (items.length < 2 || !client.capabilities.has('MULTIAPPEND') || !PLAIN_PATH.test(path)) return false;
  const limit = client.capabilities.get('APPENDLIMIT');
  const selected = client.mailbox && client.mailbox.path === path && !client.mailbox.readOnly ? client.mailbox : undefined;
  const accepted = (flag: string) => !selected?.permanentFlags || selected.permanentFlags.has('\\*') || selected.permanentFlags.has(flag);
  return items.every(
    (item) =>
      (typeof limit !== 'number' || item.body.byteLength <= limit) &&
      imapDateTime(item.internalDate) !== undefined &&
      item.flags.every((flag) => FLAG.test(flag) && accepted(flag)),
  );
}

/**
 * APPENDs `items` to the folder at `path` in one command (MULTIAPPEND): one
 * transaction on the server instead of one per message (Dovecot spends less
 * than half the CPU on a batch). Returns each message's UID claim, in order,
 * when the server gave an APPENDUID naming as many UIDs as messages sent; no
 * claims otherwise. Throws what imapflow throws when the server refuses the
 * command (then, RFC 3502, none of the messages is stored).
 *
 * The literals go as non-synchronizing ones (`{n+}`, RFC 7888) when the
 * server takes them: with LITERAL+ all of them, with LITERAL- those up to
 * 4096 bytes; imapflow would wait one round trip for each message above
 * 4 KB. Each message's bytes are written to the socket as they are, not
 * copied into the command.
 */
export async function appendAtOnce(client: ImapFlow, path: string, items: readonly AppendItem[]): Promise<(UidClaim | undefined)[]> {
  const parts = commandParts(items, nonSynchronizing(client));
  const command = [{ type: 'ATOM', value: path }];
  const internals = internalsOf(client);
  const write = internals.write;
  let written = 0;
  const writePart = () => writeFrames(internals, write, parts[written]!, ++written === parts.length);
  // imapflow writes 'TAG APPEND path' and would end the line there: the messages follow it instead, part by part.
  internals.write = function (this: ImapflowInternals, chunk: Buffer | string) {
    if (!this.currentRequest || this.currentRequest.attributes !== command) return write.call(this, chunk);
    delete (this as Partial<ImapflowInternals>).write;
    writeFrames(this, write, [typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk], false);
    writePart();
  };
  let response: Awaited<ReturnType<ImapflowInternals['exec']>>;
  try {
    // Each '+' is the server's go for the part after a synchronizing literal's size.
    response = await internals.exec('APPEND', command, { untagged: false, onPlusTag: () => (written < parts.length ? writePart() : undefined) });
  } finally {
    if (Object.hasOwn(internals, 'write')) delete (internals as Partial<ImapflowInternals>).write;
  }
  const section = response.response.attributes?.[0]?.section ?? [];
  response.next();
  const text = (i: number) => (typeof section[i]?.value === 'string' ? (section[i]!.value as string) : '');
  const uidValidity = /^\d{1,10}$/.test(text(1)) ? BigInt(text(1)) : undefined;
  const uids = text(0).toUpperCase() === 'APPENDUID' ? uidList(text(2)) : undefined;
  if (!uids || uidValidity === undefined || uids.length !== items.length) return items.map(() => undefined);
  return uids.map((uid) => ({ uid, uidValidity }));
}

/** Which literal sizes the server takes without a '+' first (RFC 7888): LITERAL+ any, LITERAL- up to 4096 bytes. */
function nonSynchronizing(client: ImapFlow): (size: number) => boolean {
  if (client.capabilities.has('LITERAL+')) return () => true;
  if (client.capabilities.has('LITERAL-')) return (size) => size <= 4096;
  return () => false;
}

/**
 * What follows 'TAG APPEND path' on the wire, as the buffers to write, cut
 * into parts after each synchronizing literal's size (the next part goes
 * once the server answers '+'): ' (flags) "date" {n+}\r\n', the message,
 * and so on, then an empty buffer that imapflow ends the line after. A
 * message's bytes are written as they are.
 */
function commandParts(items: readonly AppendItem[], nonSync: (size: number) => boolean): Buffer[][] {
  const parts: Buffer[][] = [[]];
  for (const item of items) {
    const size = item.body.byteLength;
    const plus = nonSync(size);
    parts[parts.length - 1]!.push(Buffer.from(` (${item.flags.join(' ')}) "${imapDateTime(item.internalDate)}" {${size}${plus ? '+' : ''}}\r\n`, 'latin1'));
    if (!plus) parts.push([]);
    parts[parts.length - 1]!.push(Buffer.isBuffer(item.body) ? item.body : Buffer.from(item.body.buffer, item.body.byteOffset, size));
  }
  // The line end on its own: imapflow would copy the last message to put it after it.
  parts[parts.length - 1]!.push(Buffer.alloc(0));
  return parts;
}

/** A part still to come: while imapflow's `commandParts` holds one, its write() does not end the command's line. */
const MORE = Buffer.alloc(0);

/** Writes `frames` with imapflow's own write (its byte counters, raw log, compression); the command's line ends after the last frame when `ends`. */
function writeFrames(client: ImapflowInternals, write: ImapflowInternals['write'], frames: Buffer[], ends: boolean): void {
  frames.forEach((frame, index) => {
    client.commandParts = ends && index === frames.length - 1 ? [] : [MORE];
    write.call(client, frame);
  });
}

/** The UIDs of a uid-set ('4:6,9' -> 4, 5, 6, 9), in the order written; undefined for anything else or a set too large to be a batch's. */
export function uidList(set: string): number[] | undefined {
  const uids: number[] = [];
  for (const part of set.split(',')) {
    const match = /^(\d{1,10})(?::(\d{1,10}))?$/.exec(part);
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    if (from < 1 || to < 1 || from > 0xffffffff || to > 0xffffffff || Math.abs(to - from) > 100_000) return undefined;
    for (let uid = from; ; uid += from <= to ? 1 : -1) {
      uids.push(uid);
      if (uid === to) break;
    }
  }
  return uids;
}

/** An INTERNALDATE as IMAP writes it (' 5-Jan-2024 10:30:00 +0000'), in UTC; undefined when the date has no such form. */
function imapDateTime(ms: number): string | undefined {
  const date = new Date(ms);
  const year = date.getUTCFullYear();
  if (Number.isNaN(year) || year < 1000 || year > 9999) return undefined;
  return `${String(date.getUTCDate()).padStart(2, ' ')}-${MONTHS[date.getUTCMonth()]}-${year} ${date.toISOString().slice(11, 19)} +0000`;
}
