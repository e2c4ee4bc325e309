// FETCH and UID FETCH: metadata, body sections, CHANGEDSINCE and VANISHED.
import type { StoredMessage } from '../account.js';
import type { CommandContext, FetchItem } from '../script.js';
import { compactSet, inSequenceSet } from '../sequence.js';
import { formatInternalDate, literal, textOf, type Token } from '../wire.js';
import { flagList, messagesIn, SELECTED, type Handler } from './common.js';

const MACROS: Record<string, string[]> = {
  FAST: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  ALL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
  FULL: ['FLAGS', 'INTERNALDATE', 'RFC822.SIZE'],
};

/** Where a message's header ends (after the empty line), or its length when it has no body. */
function headerEnd(body: Buffer): number {
  const crlf = body.indexOf('\r\n\r\n');
  const lf = body.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return crlf + 4;
  if (lf >= 0) return lf + 2;
  return body.length;
}

/** The header fields named (or all but those, with `not`), each with its continuation lines, then an empty line. */
function headerFields(body: Buffer, names: string[], not: boolean): Buffer {
  const header = body.subarray(0, headerEnd(body)).toString('latin1');
  const wanted = new Set(names.map((n) => n.toLowerCase()));
  const fields: string[] = [];
  for (const line of header.split(/(?<=\n)/)) {
    if (/^[ \t]/.test(line) && fields.length) fields[fields.length - 1] += line;
    else if (line.trim()) fields.push(line);
  }
  const kept = fields.filter((f) => wanted.has(f.slice(0, f.indexOf(':')).trim().toLowerCase()) !== not);
  return Buffer.from(`${kept.join('')}\r\n`, 'latin1');
}

/** BODY[...] / BODY.PEEK[...] / BINARY.PEEK[...] / RFC822*: the bytes and the name the response carries. */
function section(item: string, body: Buffer): { name: string; bytes: Buffer; peek: boolean } | undefined {
  if (item === 'RFC822') return { name: 'RFC822', bytes: body, peek: false };
  if (item === 'RFC822.HEADER') return { name: 'RFC822.HEADER', bytes: body.subarray(0, headerEnd(body)), peek: true };
  if (item === 'RFC822.TEXT') return { name: 'RFC822.TEXT', bytes: body.subarray(headerEnd(body)), peek: false };
  const m = /^(BODY|BINARY)(\.PEEK)?\[(.*)\](?:<(\d+)(?:\.(\d+))?>)?$/s.exec(item);
  if (!m) return undefined;
  const spec = m[3]!.toUpperCase();
  let bytes: Buffer;
  if (spec === '') bytes = body;
  else if (spec === 'HEADER') bytes = body.subarray(0, headerEnd(body));
  else if (spec === 'TEXT' || spec === '1') bytes = body.subarray(headerEnd(body));
  else {
    const fields = /^HEADER\.FIELDS(\.NOT)? \((.*)\)$/s.exec(spec);
    if (!fields) return undefined;
    bytes = headerFields(body, fields[2]!.split(/\s+/).filter(Boolean), fields[1] !== undefined);
  }
  let name = `${m[1]}[${spec}]`;
  if (m[4] !== undefined) {
    const start = Number(m[4]);
    bytes = bytes.subarray(start, m[5] === undefined ? undefined : start + Number(m[5]));
    name += `<${start}>`;
  }
  return { name, bytes, peek: m[2] !== undefined };
}

function itemNames(token: Token | undefined): string[] {
  if (!token) throw new Error('FETCH without items');
  const names = (token.type === 'list' ? token.items : [token]).map((t) => textOf(t));
  return names.flatMap((n) => MACROS[n.toUpperCase()] ?? [n]);
}

function rowFor(ctx: CommandContext, message: StoredMessage, names: string[], byUid: boolean): FetchItem[] {
  const items: FetchItem[] = [];
  const upper = names.map((n) => n.toUpperCase());
  if (byUid && !upper.includes('UID')) items.push({ name: 'UID', value: `${message.uid}` });
  let setSeen = false;
  for (const name of names) {
    const key = name.toUpperCase();
    if (key === 'UID') items.push({ name: 'UID', value: `${message.uid}` });
    else if (key === 'FLAGS') items.push({ name: 'FLAGS', value: flagList(message.flags) });
    else if (key === 'RFC822.SIZE') items.push({ name: 'RFC822.SIZE', value: `${message.body.length}` });
    else if (key === 'INTERNALDATE') items.push({ name: 'INTERNALDATE', value: `"${formatInternalDate(message.internalDate)}"` });
    else if (key === 'MODSEQ') continue;
    else {
      const part = section(key, message.body);
      if (!part) throw new Error(`unsupported FETCH item ${name}`);
      items.push({ name: part.name, value: literal(part.bytes) });
      if (!part.peek) setSeen = true;
    }
  }
  const view = ctx.session.selected!;
  if (setSeen && !view.readOnly && !message.flags.has('\\Seen')) {
    ctx.account.setFlags(view.folder.name, message, new Set([...message.flags, '\\Seen']));
    if (!upper.includes('FLAGS')) items.push({ name: 'FLAGS', value: flagList(message.flags) });
  }
  if (ctx.session.condstore || upper.includes('MODSEQ')) items.push({ name: 'MODSEQ', value: `(${message.modseq})` });
  return items;
}

async function fetch(ctx: CommandContext, byUid: boolean): Promise<void> {
  const session = ctx.session;
  const view = session.selected!;
  const set = textOf(ctx.args[0]);
  const names = itemNames(ctx.args[1]);
  const modifiers = ctx.args[2]?.type === 'list' ? ctx.args[2].items.map((t) => textOf(t).toUpperCase()) : [];
  const changedAt = modifiers.indexOf('CHANGEDSINCE');
  const changedSince = changedAt >= 0 ? BigInt(modifiers[changedAt + 1]!) : undefined;
  if (changedSince !== undefined) {
    if (!session.has('CONDSTORE')) return ctx.bad('CHANGEDSINCE without CONDSTORE');
    session.enabled.add('CONDSTORE');
  }
  if (modifiers.includes('VANISHED')) {
    if (!byUid || changedSince === undefined || !session.enabled.has('QRESYNC')) return ctx.bad('VANISHED needs UID FETCH, CHANGEDSINCE and QRESYNC');
    const gone = view.folder.expunged.filter((e) => e.modseq > changedSince && inSequenceSet(set, e.uid, view.folder.uidNext - 1)).map((e) => e.uid);
    if (gone.length) await ctx.untagged(`VANISHED (EARLIER) ${compactSet(gone)}`);
  }
  for (const { seq, message } of messagesIn(ctx, set, byUid)) {
    if (changedSince !== undefined && message.modseq <= changedSince) continue;
    await ctx.fetchRow({ seq, items: rowFor(ctx, message, names, byUid) });
    if (ctx.silenced) return;
  }
}

export const fetchHandlers: Record<string, Handler> = {
  FETCH: { states: SELECTED, run: (ctx) => fetch(ctx, false), noExpungeReports: true },
  'UID FETCH': { states: SELECTED, run: (ctx) => fetch(ctx, true) },
};
