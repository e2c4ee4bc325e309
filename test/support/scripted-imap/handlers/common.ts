// What the command handlers share: the handler shape, mailbox arguments,
// selected messages by sequence set, flags.
import type { Folder, StoredMessage } from '../account.js';
import type { CommandContext } from '../script.js';
import type { Session } from '../session.js';
import { inSequenceSet } from '../sequence.js';
import { textOf, type Token } from '../wire.js';

export interface Handler {
  states: Session['state'][];
  run(ctx: CommandContext): Promise<void>;
  /** FETCH, STORE and SEARCH by sequence number must not report expunges (RFC 3501 7.4.1). */
  noExpungeReports?: boolean;
}

export const AUTHENTICATED: Session['state'][] = ['authenticated', 'selected'];
export const SELECTED: Session['state'][] = ['selected'];
export const ANY: Session['state'][] = ['not-authenticated', 'authenticated', 'selected'];

/** Thrown by a handler to answer NO with a response code. */
export class Refusal extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** The folder a mailbox argument names, or NO [NONEXISTENT] / [TRYCREATE]. */
export function folderArg(ctx: CommandContext, token: Token | undefined, missingCode = 'NONEXISTENT'): Folder {
  const name = mailboxName(ctx, token);
  const folder = ctx.account.find(name);
  if (!folder) throw new Refusal(`Mailbox doesn't exist: ${name}`, missingCode);
  return folder;
}

/** A mailbox argument as the name the account knows (trailing delimiter dropped). */
export function mailboxName(ctx: CommandContext, token: Token | undefined): string {
  const name = textOf(token);
  const delimiter = ctx.session.server.delimiter;
  return delimiter && name.endsWith(delimiter) && name.length > 1 ? name.slice(0, -1) : name;
}

export interface Numbered {
  seq: number;
  message: StoredMessage;
}

/** The selected folder's messages in `set` (UIDs or sequence numbers), in sequence order. */
export function messagesIn(ctx: CommandContext, set: string, byUid: boolean): Numbered[] {
  const view = ctx.session.selected!;
  const byUidMap = new Map(view.folder.messages.map((m) => [m.uid, m]));
  const star = byUid ? Math.max(0, ...view.uids) : view.uids.length;
  const out: Numbered[] = [];
  view.uids.forEach((uid, i) => {
    const message = byUidMap.get(uid);
    if (message && inSequenceSet(set, byUid ? uid : i + 1, star)) out.push({ seq: i + 1, message });
  });
  return out;
}

const SYSTEM_FLAGS = ['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'];

/** System flags in their canonical case; keywords verbatim; \Recent dropped. */
export function flagsArg(token: Token | undefined): string[] {
  const tokens = !token ? [] : token.type === 'list' ? token.items : [token];
  return tokens
    .map((t) => textOf(t))
    .map((flag) => SYSTEM_FLAGS.find((s) => s.toLowerCase() === flag.toLowerCase()) ?? flag)
    .filter((flag) => flag.toLowerCase() !== '\\recent');
}

export function flagList(flags: Iterable<string>): string {
  return `(${[...flags].join(' ')})`;
}

/** The post-login capability line (STARTTLS never: loopback only). */
export function capabilityLine(session: Session): string {
  if (session.state !== 'not-authenticated') return session.server.capabilities.join(' ');
  const early = new Set(['IMAP4REV1', 'IMAP4REV2', 'SASL-IR', 'ID', 'ENABLE', 'IDLE', 'LITERAL+', 'LITERAL-', 'LOGIN-REFERRALS']);
  const caps = session.server.capabilities.filter((c) => early.has(c.toUpperCase()));
  return [...caps, ...session.server.authMechanisms.map((m) => `AUTH=${m}`)].join(' ');
}
