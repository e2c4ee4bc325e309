// Ready-made hooks for what real servers, proxies and networks do. Each is
// a small function; a test may write its own the same way (see README.md).
import type { Account } from './account.js';
import type { FetchRow, Hook } from './script.js';
import { textOf } from './wire.js';

// --- The connection -------------------------------------------------------

/** Closes the connection instead of answering. */
export const dropConnection = (): Hook => (ctx) => ctx.drop();

/** An untagged BYE instead of the answer (a server shutting down, RFC 3501 7.1.5), then the connection closes. */
export const bye =
  (text = 'Server shutting down'): Hook =>
  async (ctx) => {
    await ctx.untagged(`BYE ${text}`);
    ctx.drop();
  };

/** Answers, but the connection closes after `bytes` bytes of the answer (mid-line or mid-literal). */
export const dropAfterBytes =
  (bytes: number): Hook =>
  (ctx, next) => {
    ctx.session.output.dropAfter(bytes);
    return next();
  };

/** Never answers (the socket stays open until the client or stop() closes it). */
export const stall = (): Hook => (ctx) => ctx.stall();

/** On 'CONNECT': sends the greeting, then nothing more, ever. */
export const stallAfterGreeting = (): Hook => async (ctx, next) => {
  await next();
  ctx.stall();
};

/** Sends `bytes` bytes of the answer (mid-literal if it falls there), then says nothing more. */
export const stallAfterBytes =
  (bytes: number): Hook =>
  (ctx, next) => {
    ctx.session.output.stallAfter(bytes);
    return next();
  };

/** Answers one byte every `ms` milliseconds, for this command and the rest of the connection. */
export const dribble =
  (ms: number): Hook =>
  (ctx, next) => {
    ctx.session.output.dribble(ms);
    return next();
  };

// --- Listings (FETCH rows and SELECT) ---------------------------------------

/** Leaves out the FETCH rows for which `omit(row, index)` holds: EXISTS says N, fewer rows come. */
export const omitRows =
  (omit: (row: FetchRow, index: number) => boolean): Hook =>
  (ctx, next) => {
    let index = 0;
    ctx.mapFetch((row) => (omit(row, index++) ? null : row));
    return next();
  };

/** Replaces the row at `index` with `garbage` (what follows "* "): a row the client cannot parse. */
export const garbageRow =
  (index = 0, garbage = (seq: number) => `${seq} FETCH (UID x7 FLAGS (\\Seen) RFC822.SIZE ?)`): Hook =>
  (ctx, next) => {
    let i = 0;
    ctx.mapFetch((row) => (i++ === index ? { ...row, raw: Buffer.from(garbage(row.seq), 'latin1') } : row));
    return next();
  };

/** Rewrites one item of every row (or of the rows `which` selects): e.g. a body that comes back NIL. */
export const rewriteItem =
  (name: RegExp, value: (current: string | Buffer, row: FetchRow) => string | Buffer, which: (row: FetchRow, index: number) => boolean = () => true): Hook =>
  (ctx, next) => {
    let index = 0;
    ctx.mapFetch((row) => {
      if (!which(row, index++)) return row;
      return { ...row, items: row.items.map((item) => (name.test(item.name) ? { name: item.name, value: value(item.value, row) } : item)) };
    });
    return next();
  };

/** BODY[] (or any body section) comes back NIL. */
export const nilBody = (which?: (row: FetchRow, index: number) => boolean): Hook => rewriteItem(/^(BODY|BINARY)\[|^RFC822$/, () => 'NIL', which);

/** RFC822.SIZE claims `size(real)` instead of the bytes sent. */
export const claimSize = (size: (real: number) => number): Hook => rewriteItem(/^RFC822\.SIZE$/, (v) => String(size(Number(v))));

/** The row at `index` (default the second) claims the UID of the row before it. */
export const duplicateUid = (index = 1): Hook => {
  return (ctx, next) => {
    let i = 0;
    let previous: string | Buffer | undefined;
    ctx.mapFetch((row) => {
      const uid = row.items.find((item) => item.name === 'UID');
      const current = i++;
      const out = current === index && previous !== undefined && uid ? { ...row, items: row.items.map((item) => (item === uid ? { name: 'UID', value: previous! } : item)) } : row;
      if (uid) previous = uid.value;
      return out;
    });
    return next();
  };
};

/** The row at `index` (default the first) carries a UID that does not fit 32 bits. */
export const uidAbove32Bits = (index = 0, uid = 2 ** 32): Hook => rewriteItem(/^UID$/, () => String(uid), (_row, i) => i === index);

/** Untagged responses matching `pattern` are left out (e.g. /UIDVALIDITY/ on SELECT). */
export const omitUntagged =
  (pattern: RegExp): Hook =>
  (ctx, next) => {
    ctx.mapUntagged((bytes) => (pattern.test(bytes.toString('latin1')) ? null : bytes));
    return next();
  };

/** SELECT/EXAMINE without the UIDVALIDITY response code. */
export const withoutUidValidity = (): Hook => omitUntagged(/^\* OK \[UIDVALIDITY /);

/**
 * After each selected row, an unsolicited FETCH for the same message with
 * only its flags (as Gmail sends when flags change during a listing; with
 * `withUid` it carries the UID too, as RFC 7162 wants with CONDSTORE).
 */
export const unsolicitedFlags =
  (options: { withUid?: boolean; which?: (row: FetchRow, index: number) => boolean } = {}): Hook =>
  (ctx, next) => {
    let index = 0;
    ctx.mapFetch((row) => {
      if (!(options.which ?? (() => true))(row, index++)) return row;
      const pick = (name: string) => row.items.filter((item) => item.name === name);
      const flags = pick('FLAGS').length ? pick('FLAGS') : [{ name: 'FLAGS', value: '(\\Seen)' }];
      return [row, { seq: row.seq, items: [...(options.withUid ? pick('UID') : []), ...flags] }];
    });
    return next();
  };

/** SELECT/EXAMINE without UIDNEXT (Winmail Pro), and STATUS answering without it (mail.163.com). */
export const withoutUidNext = (): Hook => (ctx, next) => {
  ctx.mapUntagged((bytes) => {
    const text = bytes.toString('latin1');
    if (/^\* OK \[UIDNEXT /.test(text)) return null;
    return /^\* STATUS /.test(text) ? Buffer.from(text.replace(/ ?UIDNEXT \d+/, '').replace('( ', '('), 'latin1') : bytes;
  });
  return next();
};

/** SELECT says `exists(real)` messages exist. */
export const claimExists =
  (exists: (real: number) => number): Hook =>
  (ctx, next) => {
    ctx.mapUntagged((bytes) => {
      const m = /^\* (\d+) EXISTS\r\n$/.exec(bytes.toString('latin1'));
      return m ? Buffer.from(`* ${exists(Number(m[1]))} EXISTS\r\n`) : bytes;
    });
    return next();
  };

// --- Writes -----------------------------------------------------------------

/** APPEND answered OK (with a plausible APPENDUID) but the message is never stored. */
export const appendNotStored = (): Hook => (ctx) => {
  const folder = ctx.account.find(textOf(ctx.args[0]));
  if (!folder) return ctx.no('Mailbox does not exist', 'TRYCREATE');
  const uid = folder.uidNext;
  folder.uidNext += 1;
  ctx.ok('Append completed.', ctx.session.has('UIDPLUS') ? `APPENDUID ${folder.uidValidity} ${uid}` : undefined);
};

/**
 * APPEND stores the message but answers a wrong APPENDUID:
 * 'repeat' the first UID it answered, 'below' a UID already in use (the one
 * before), 'other-validity' the right UID under another UIDVALIDITY,
 * 'swapped' UID and UIDVALIDITY in each other's place (DavMail did).
 */
export const wrongAppendUid = (kind: 'repeat' | 'below' | 'other-validity' | 'swapped'): Hook => {
  let first: number | undefined;
  return async (ctx, next) => {
    await next();
    const m = /^APPENDUID (\d+) (\d+)$/.exec(ctx.reply.code ?? '');
    if (!m) return;
    const validity = Number(m[1]);
    const uid = Number(m[2]);
    first ??= uid;
    const wrong = {
      repeat: `${validity} ${first}`,
      below: `${validity} ${Math.max(1, uid - 1)}`,
      'other-validity': `${validity + 1} ${uid}`,
      swapped: `${uid} ${validity}`,
    }[kind];
    ctx.reply = { ...ctx.reply, code: `APPENDUID ${wrong}` };
  };
};

/** APPEND stores `transform(body)` instead of the bytes sent. */
export const storeDifferently =
  (transform: (body: Buffer) => Buffer): Hook =>
  (ctx, next) => {
    ctx.args = ctx.args.map((token) => (token.type === 'string' && token.literal ? { ...token, value: transform(token.value) } : token));
    return next();
  };

/** A final CRLF added to a message whose last line has none. */
export const addFinalCrlf = (body: Buffer): Buffer => (body.subarray(-2).toString('latin1') === '\r\n' ? body : Buffer.concat([body, Buffer.from('\r\n')]));

let addedIds = 0;
/** A Message-ID of the server's own put on a message that has none (as Exchange and Gmail do): its identity changes beyond what imapfw normalises. */
export const addMessageId = (body: Buffer): Buffer =>
  /^message-id:/im.test(body.subarray(0, Math.max(0, body.indexOf('\r\n\r\n'))).toString('latin1')) ? body : Buffer.concat([Buffer.from(`Message-ID: <added.${++addedIds}@scripted.server>\r\n`), body]);

/** Raw 8-bit bytes in the header replaced by '?' (as some servers "sanitize" them). */
export const rewrite8bitHeaders = (body: Buffer): Buffer => {
  const end = body.indexOf('\r\n\r\n');
  const headerLength = end >= 0 ? end : body.length;
  const out = Buffer.from(body);
  for (let i = 0; i < headerLength; i += 1) if (out[i]! >= 0x80) out[i] = 0x3f;
  return out;
};

/** APPEND of a message with a LF not preceded by CR is refused, as some servers do. */
export const refuseBareNewlines =
  (text = 'Message contains bare newlines'): Hook =>
  (ctx, next) => {
    const body = ctx.args.find((token) => token.type === 'string' && token.literal);
    const bytes = body?.type === 'string' ? body.value : Buffer.alloc(0);
    const bare = bytes.some((b, i) => b === 0x0a && (i === 0 || bytes[i - 1] !== 0x0d));
    if (bare) return ctx.no(text);
    return next();
  };

// --- Refusals and words -----------------------------------------------------

/** Answers NO (with an optional response code) without doing anything. Use `when` to pick commands. */
export const refuse =
  (text: string, code?: string): Hook =>
  (ctx) =>
    ctx.no(text, code);

/** Answers BAD without doing anything. */
export const reject =
  (text: string): Hook =>
  (ctx) =>
    ctx.bad(text);

/** Refuses the command when its first argument (a mailbox) is one of `names`. */
export const refuseMailbox =
  (names: string[], text = 'Permission denied', code?: string): Hook =>
  (ctx, next) => {
    if (names.includes(textOf(ctx.args[0]))) return ctx.no(text, code);
    return next();
  };

/** Answers NO with a text that echoes the logged-in user's password (as a careless proxy does). */
export const echoPassword =
  (template = (password: string) => `Invalid credentials (password was ${password})`): Hook =>
  (ctx) => {
    const user = ctx.session.user ?? Object.keys(ctx.session.server.users)[0]!;
    ctx.no(template(ctx.session.server.users[user] ?? ''));
  };

/** Gives `folder` a new UIDVALIDITY and new UIDs just before the command runs. */
export const renumberFirst =
  (folder: string, options?: Parameters<Account['renumber']>[1]): Hook =>
  (ctx, next) => {
    ctx.account.renumber(folder, options);
    return next();
  };
