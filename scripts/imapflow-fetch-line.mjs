// Bundled into imapflow's parser (scripts/bundle-imapflow.mjs, HOT_PATH_EDITS): the FETCH lines a listing, a
// change listing and a STORE's answers are made of, read in one pass over their bytes, without the tokenizer.
// imapflow's tokenizer takes 15-50 microseconds per such line, this under 6 (docs/performance.md, "FETCH lines
// without the tokenizer"); test/imap/fetch-line.test.ts holds it to the tokenizer's answers.

const SP = 0x20;
const OPEN = 0x28;
const CLOSE = 0x29;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const FETCH = Buffer.from(' FETCH (');
/** Far below imapflow's limit on a response's nodes (a million): a line this long goes to the tokenizer. */
const MAX_ITEMS = 10_000;

/** Letters, digits and . $ - _ : a subset of IMAP's ATOM-CHAR that needs no second look. */
function plainAtomByte(byte) {
  return (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2e || byte === 0x24 || byte === 0x2d || byte === 0x5f;
}

/**
 * The tree imapflow's parser makes of an untagged FETCH response whose items are atoms (a system flag's leading
 * backslash included), quoted strings of printable ASCII without escapes, and lists of those one level deep:
 * `* 12 FETCH (UID 40 FLAGS (\Seen $Work) MODSEQ (7) RFC822.SIZE 512 INTERNALDATE "28-Nov-2026 05:22:19 +0000")`.
 * Anything else (a section, a literal, NIL, a nested list, doubled spaces, other bytes) returns undefined, and the
 * line goes to imapflow's tokenizer as before.
 */
export function readFetchLine(line) {
  if (!Buffer.isBuffer(line)) return undefined;
  const end = line.length;
  if (end < 12 || line[0] !== 0x2a || line[1] !== SP || line[end - 1] !== CLOSE) return undefined;
  let i = 2;
  while (i < end && line[i] >= 0x30 && line[i] <= 0x39) i++;
  if (i === 2 || i - 2 > 10 || line.compare(FETCH, 0, FETCH.length, i, i + FETCH.length) !== 0) return undefined;
  const sequence = line.toString('latin1', 2, i);
  i += FETCH.length;
  const items = [];
  let list = items;
  let count = 0;
  for (;;) {
    const byte = line[i];
    if (byte === CLOSE) {
      if (list === items) {
        if (i !== end - 1) return undefined;
        break;
      }
      list = items;
      i++;
    } else if (byte === OPEN) {
      if (list !== items) return undefined;
      const inner = [];
      items.push(inner);
      list = inner;
      i++;
      if (line[i] === CLOSE) continue;
      if (line[i] === SP) return undefined;
      continue;
    } else if (byte === QUOTE) {
      const start = ++i;
      while (i < end && line[i] !== QUOTE) {
        if (line[i] < SP || line[i] > 0x7e || line[i] === BACKSLASH) return undefined;
        i++;
      }
      if (i >= end) return undefined;
      list.push({ type: 'STRING', value: line.toString('latin1', start, i) });
      i++;
    } else {
      const start = i;
      if (byte === BACKSLASH) i++;
      while (i < end && plainAtomByte(line[i])) i++;
      if (i === start || (byte === BACKSLASH && i === start + 1)) return undefined;
      const value = line.toString('latin1', start, i);
      if (value === 'NIL') return undefined;
      list.push({ type: 'ATOM', value });
    }
    if (++count > MAX_ITEMS) return undefined;
    const next = line[i];
    if (next === SP) {
      i++;
      if (line[i] === SP || line[i] === CLOSE) return undefined;
    } else if (next !== CLOSE) {
      return undefined;
    }
  }
  return { tag: '*', command: sequence, attributes: [{ type: 'ATOM', value: 'FETCH' }, items] };
}
