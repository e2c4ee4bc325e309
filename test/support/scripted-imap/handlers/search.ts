// SEARCH and UID SEARCH over the keys imapfw and imapflow use.
import type { StoredMessage } from '../account.js';
import type { CommandContext } from '../script.js';
import { inSequenceSet } from '../sequence.js';
import { textOf, type Token } from '../wire.js';
import { messagesIn, SELECTED, type Handler } from './common.js';

type Test = (message: StoredMessage, seq: number) => boolean;

const FLAG_KEYS: Record<string, [string, boolean]> = {
  ANSWERED: ['\\Answered', true],
  DELETED: ['\\Deleted', true],
  DRAFT: ['\\Draft', true],
  FLAGGED: ['\\Flagged', true],
  SEEN: ['\\Seen', true],
  UNANSWERED: ['\\Answered', false],
  UNDELETED: ['\\Deleted', false],
  UNDRAFT: ['\\Draft', false],
  UNFLAGGED: ['\\Flagged', false],
  UNSEEN: ['\\Seen', false],
};

/** Parses one search key from `tokens` (consumed), with the selected folder's numbers. */
function parseKey(tokens: Token[], uidStar: number, seqStar: number): Test {
  const token = tokens.shift();
  if (!token) throw new Error('missing search key');
  if (token.type === 'list') {
    const inner = [...token.items];
    const tests: Test[] = [];
    while (inner.length) tests.push(parseKey(inner, uidStar, seqStar));
    return (m, s) => tests.every((t) => t(m, s));
  }
  const key = textOf(token).toUpperCase();
  if (key === 'ALL') return () => true;
  if (FLAG_KEYS[key]) {
    const [flag, present] = FLAG_KEYS[key]!;
    return (m) => m.flags.has(flag) === present;
  }
  if (key === 'KEYWORD' || key === 'UNKEYWORD') {
    const flag = textOf(tokens.shift());
    return (m) => m.flags.has(flag) === (key === 'KEYWORD');
  }
  if (key === 'UID') {
    const set = textOf(tokens.shift());
    return (m) => inSequenceSet(set, m.uid, uidStar);
  }
  if (key === 'NOT') {
    const inner = parseKey(tokens, uidStar, seqStar);
    return (m, s) => !inner(m, s);
  }
  if (key === 'OR') {
    const a = parseKey(tokens, uidStar, seqStar);
    const b = parseKey(tokens, uidStar, seqStar);
    return (m, s) => a(m, s) || b(m, s);
  }
  if (key === 'HEADER') {
    const field = textOf(tokens.shift()).toLowerCase();
    const value = textOf(tokens.shift()).toLowerCase();
    return (m) =>
      m.body
        .toString('latin1')
        .split(/\r?\n\r?\n/, 1)[0]!
        .split(/\r?\n(?![ \t])/)
        .some((line) => line.toLowerCase().startsWith(`${field}:`) && line.slice(field.length + 1).toLowerCase().includes(value));
  }
  if (key === 'MODSEQ') {
    const modseq = BigInt(textOf(tokens.shift()));
    return (m) => m.modseq >= modseq;
  }
  if (/^[\d*:,]+$/.test(key)) return (_m, s) => inSequenceSet(key, s, seqStar);
  throw new Error(`unsupported search key ${key}`);
}

async function search(ctx: CommandContext, byUid: boolean): Promise<void> {
  const view = ctx.session.selected!;
  const tokens = [...ctx.args];
  if (tokens[0]?.type === 'atom' && tokens[0].value.toUpperCase() === 'RETURN') return ctx.bad('ESEARCH not supported');
  if (tokens[0]?.type === 'atom' && tokens[0].value.toUpperCase() === 'CHARSET') tokens.splice(0, 2);
  const tests: Test[] = [];
  const uidStar = Math.max(0, ...view.uids);
  while (tokens.length) tests.push(parseKey(tokens, uidStar, view.uids.length));
  const found = messagesIn(ctx, '1:*', false)
    .filter(({ message, seq }) => tests.every((t) => t(message, seq)))
    .map(({ message, seq }) => (byUid ? message.uid : seq));
  await ctx.untagged(`SEARCH${found.map((n) => ` ${n}`).join('')}`);
}

export const searchHandlers: Record<string, Handler> = {
  SEARCH: { states: SELECTED, run: (ctx) => search(ctx, false), noExpungeReports: true },
  'UID SEARCH': { states: SELECTED, run: (ctx) => search(ctx, true) },
};
