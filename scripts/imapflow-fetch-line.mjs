// Bundled into imapflow's parser (scripts/bundle-imapflow.mjs, HOT_PATH_EDITS): the FETCH lines a listing, a
// change listing, a STORE's answers and a copy's bodies are made of, read in one pass over their bytes, without
// the tokenizer. imapflow's tokenizer takes 15-50 microseconds per such line, this under 6 (docs/performance.md,
// "FETCH lines without the tokenizer"); test/imap/fetch-line.test.ts holds it to the tokenizer's answers.

const SP = 0x20;
const CR = 0x0d;
const LF = 0x0a;
const OPEN = 0x28;
const CLOSE = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SECTION_OPEN = 0x5b;
const SECTION_CLOSE = 0x5d;
const PARTIAL_OPEN = 0x3c;
const PARTIAL_CLOSE = 0x3e;
const LITERAL_OPEN = 0x7b;
const LITERAL_CLOSE = 0x7d;
const FETCH = Buffer.from(' FETCH (');
/** Far below imapflow's limit on a response's nodes (a million): a line this long goes to the tokenizer. */
const MAX_NODES = 10_000;

/** Letters, digits and . $ - _ : a subset of IMAP's ATOM-CHAR that needs no second look. */
function plainAtomByte(byte) {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x24 || byte === 0x2d || byte === 0x5f;
}

const isDigit = (byte) => byte >= 0x30 && byte <= 0x39;

/** The items whose "[" opens a section for the tokenizer; after any other atom it is part of the atom. */
const SECTIONED = new Set(['BODY', 'BODY.PEEK', 'BINARY', 'BINARY.PEEK']);

/**
 * The tree imapflow's parser makes of an untagged FETCH response built of:
 * - atoms (a system flag's leading backslash included), quoted strings of printable ASCII without escapes;
 * - lists of those, one level deep;
 * - an item's section and origin (`BODY[HEADER.FIELDS (MESSAGE-ID)]`, `BODY[]<0>`);
 * - literals, each the next of `literals` (the stream's, in order) and of the length its marker says.
 *
 * `* 12 FETCH (UID 40 FLAGS (\Seen $Work) MODSEQ (7) RFC822.SIZE 512 INTERNALDATE "28-Nov-2026 05:22:19 +0000")`,
 * `* 3 FETCH (UID 9 MODSEQ (8) BODY[] {512}\r\n)`. Anything else (NIL, a deeper list, an escape, a non-ASCII byte,
 * doubled spaces, a literal8...) returns undefined, and the line goes to imapflow's tokenizer as before.
 */
export function readFetchLine(line, literals) {
  if (!Buffer.isBuffer(line)) return undefined;
  const end = line.length;
  if (end < 12 || line[0] !== 0x2a || line[1] !== SP || line[end - 1] !== CLOSE) return undefined;
  let i = 2;
  while (i < end && isDigit(line[i])) i++;
  if (i === 2 || i - 2 > 10 || i + FETCH.length > end || line.compare(FETCH, 0, FETCH.length, i, i + FETCH.length) !== 0) return undefined;
  const reader = { line, end, at: i + FETCH.length, literals: Array.isArray(literals) ? literals : [], taken: 0, nodes: 0 };
  const items = readSequence(reader, CLOSE, TOP);
  if (items === undefined || reader.at !== end || reader.taken !== reader.literals.length) return undefined;
  return { tag: '*', command: line.toString('latin1', 2, i), attributes: [{ type: 'ATOM', value: 'FETCH' }, items] };
}

/** Where a sequence is, and so what it may hold. */
const TOP = 0;
const LIST = 1;
const SECTION = 2;

/** The nodes up to `close` (consumed), single spaces between them. */
function readSequence(reader, close, where) {
  const { line } = reader;
  const nodes = [];
  if (line[reader.at] === close) {
    reader.at++;
    return nodes;
  }
  for (;;) {
    const node = readNode(reader, where);
    if (node === undefined || ++reader.nodes > MAX_NODES) return undefined;
    nodes.push(node);
    const next = line[reader.at];
    if (next === close) {
      reader.at++;
      return nodes;
    }
    if (next !== SP) return undefined;
    reader.at++;
    if (line[reader.at] === SP || line[reader.at] === close) return undefined;
  }
}

function readNode(reader, where) {
  const { line, end } = reader;
  const byte = line[reader.at];
  if (byte === OPEN) {
    // A list in the items or in a section; none in a list.
    if (where === LIST) return undefined;
    reader.at++;
    return readSequence(reader, CLOSE, LIST);
  }
  if (byte === QUOTE) {
    const start = ++reader.at;
    while (reader.at < end && line[reader.at] !== QUOTE) {
      const inside = line[reader.at];
      if (inside < SP || inside > 0x7e || inside === BACKSLASH) return undefined;
      reader.at++;
    }
    if (reader.at >= end) return undefined;
    reader.at++;
    return { type: 'STRING', value: line.toString('latin1', start, reader.at - 1) };
  }
  if (byte === LITERAL_OPEN) return where === TOP ? readLiteral(reader) : undefined;
  const start = reader.at;
  if (byte === BACKSLASH) reader.at++;
  while (reader.at < end && plainAtomByte(line[reader.at])) reader.at++;
  if (reader.at === start || (byte === BACKSLASH && reader.at === start + 1)) return undefined;
  const value = line.toString('latin1', start, reader.at);
  if (value === 'NIL') return undefined;
  const atom = { type: 'ATOM', value };
  if (line[reader.at] !== SECTION_OPEN) return atom;
  if (where !== TOP || !SECTIONED.has(value)) return undefined;
  reader.at++;
  const section = readSequence(reader, SECTION_CLOSE, SECTION);
  if (section === undefined) return undefined;
  atom.section = section;
  if (line[reader.at] !== PARTIAL_OPEN) return atom;
  const origin = ++reader.at;
  while (reader.at < end && isDigit(line[reader.at])) reader.at++;
  if (reader.at === origin || reader.at - origin > 15 || line[reader.at] !== PARTIAL_CLOSE) return undefined;
  atom.partial = [Number(line.toString('latin1', origin, reader.at))];
  reader.at++;
  return atom;
}

/** `{N}` and its CRLF, standing for the next literal the stream read, of N bytes. */
function readLiteral(reader) {
  const { line, end } = reader;
  const start = ++reader.at;
  while (reader.at < end && isDigit(line[reader.at])) reader.at++;
  if (reader.at === start || reader.at - start > 15 || line[reader.at] !== LITERAL_CLOSE || line[reader.at + 1] !== CR || line[reader.at + 2] !== LF) return undefined;
  const length = Number(line.toString('latin1', start, reader.at));
  const value = reader.literals[reader.taken];
  if (!Buffer.isBuffer(value) || value.length !== length) return undefined;
  reader.taken++;
  reader.at += 3;
  return { type: 'LITERAL', value };
}
