// The IMAP wire format as a server sees it: commands in (lines, literals,
// tokens), responses out (quoting, literals).

export type Token =
  | { type: 'atom'; value: string }
  /** A quoted string or a literal, as raw bytes. */
  | { type: 'string'; value: Buffer; literal: boolean }
  | { type: 'list'; items: Token[] };

export interface RawCommand {
  tag: string;
  /** The command line(s) as text, literals replaced by `{n}` markers; for logs and matching. */
  text: string;
  /** Text segments (latin1) with the literal that follows each one, if any. */
  segments: { text: string; literal?: Buffer }[];
}

/** What the reader asks before accepting a synchronizing literal. */
export type LiteralGate = (tag: string, size: number, sync: boolean) => Promise<'accept' | 'refused'>;

const LITERAL_MARK = /\{(\d+)(\+?)\}$/;

/**
 * Pulls lines and literals out of a socket's byte stream. Chunks are kept in
 * a list (not concatenated as they come) so a 200 MB literal costs one copy.
 */
export class CommandReader {
  private chunks: Buffer[] = [];
  private length = 0;
  private wake?: () => void;
  private ended = false;

  feed(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  private waitForData(): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = undefined;
        resolve();
      };
    });
  }

  private take(n: number): Buffer {
    const whole = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.length);
    const out = whole.subarray(0, n);
    const rest = whole.subarray(n);
    this.chunks = rest.length ? [rest] : [];
    this.length = rest.length;
    return out;
  }

  /** The next line without its CRLF (a bare LF ends a line too), or null at end of stream. */
  async readLine(): Promise<string | null> {
    for (;;) {
      let offset = 0;
      for (const chunk of this.chunks) {
        const lf = chunk.indexOf(10);
        if (lf >= 0) {
          const line = this.take(offset + lf + 1).toString('latin1');
          return line.replace(/\r?\n$/, '');
        }
        offset += chunk.length;
      }
      if (this.ended) return null;
      await this.waitForData();
    }
  }

  async readBytes(n: number): Promise<Buffer | null> {
    while (this.length < n) {
      if (this.ended) return null;
      await this.waitForData();
    }
    return Buffer.from(this.take(n));
  }

  /**
   * The next command, literals included. `gate` is asked before each
   * literal; a refused synchronizing literal ends the command there (the
   * client sends nothing more for it), a refused non-synchronizing one is
   * read and thrown away. Returns `refused` with what was read so far.
   */
  async readCommand(gate: LiteralGate): Promise<(RawCommand & { refused?: boolean }) | null> {
    const segments: RawCommand['segments'] = [];
    let tag = '';
    let refused = false;
    for (;;) {
      const line = await this.readLine();
      if (line === null) return null;
      if (!segments.length) tag = line.split(' ', 1)[0] ?? '';
      const mark = LITERAL_MARK.exec(line);
      if (!mark) {
        segments.push({ text: line });
        break;
      }
      const size = Number(mark[1]);
      const sync = mark[2] !== '+';
      const answer = refused ? 'refused' : await gate(tag, size, sync);
      if (answer === 'refused') {
        refused = true;
        segments.push({ text: line });
        if (sync) break;
        if ((await this.readBytes(size)) === null) return null;
        continue;
      }
      const literal = await this.readBytes(size);
      if (literal === null) return null;
      segments.push({ text: line, literal });
    }
    const text = segments.map((s) => s.text).join('');
    return { tag, text, segments, ...(refused ? { refused } : {}) };
  }
}

/** Splits a command (after its tag) into tokens. Throws on a syntax error. */
export function tokenize(command: RawCommand): Token[] {
  const root: Token[] = [];
  const stack: Token[][] = [root];
  const push = (token: Token): void => void stack[stack.length - 1]!.push(token);
  command.segments.forEach((segment, index) => {
    let text = segment.text;
    if (index === 0) text = text.slice(command.tag.length);
    let i = 0;
    if (segment.literal) text = text.replace(LITERAL_MARK, '');
    while (i < text.length) {
      const c = text[i]!;
      if (c === ' ') {
        i += 1;
      } else if (c === '(') {
        const list: Token = { type: 'list', items: [] };
        push(list);
        stack.push(list.items);
        i += 1;
      } else if (c === ')') {
        if (stack.length === 1) throw new Error('unbalanced )');
        stack.pop();
        i += 1;
      } else if (c === '"') {
        let value = '';
        i += 1;
        while (i < text.length && text[i] !== '"') {
          if (text[i] === '\\') i += 1;
          value += text[i] ?? '';
          i += 1;
        }
        if (text[i] !== '"') throw new Error('unterminated quoted string');
        i += 1;
        push({ type: 'string', value: Buffer.from(value, 'latin1'), literal: false });
      } else {
        // An atom; brackets may hold spaces and parentheses (BODY.PEEK[HEADER.FIELDS (A B)]<0.10>).
        let depth = 0;
        const start = i;
        while (i < text.length) {
          const ch = text[i]!;
          if (ch === '[') depth += 1;
          else if (ch === ']') depth -= 1;
          else if (depth === 0 && (ch === ' ' || ch === '(' || ch === ')')) break;
          i += 1;
        }
        // "~" before a literal marks literal8 (BINARY); the literal itself follows.
        const atom = text.slice(start, i);
        if (atom !== '~') push({ type: 'atom', value: atom });
      }
    }
    if (segment.literal) push({ type: 'string', value: segment.literal, literal: true });
  });
  if (stack.length !== 1) throw new Error('unbalanced (');
  return root;
}

/** A token's text: an atom as is, a string decoded as UTF-8. */
export function textOf(token: Token | undefined): string {
  if (!token) throw new Error('missing argument');
  if (token.type === 'atom') return token.value;
  if (token.type === 'string') return token.value.toString('utf8');
  throw new Error('expected a string, got a list');
}

/** A string as a quoted string when it can be one, else as a literal. */
export function astring(value: string | Buffer): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
  const printable = bytes.every((b) => b >= 0x20 && b < 0x7f);
  if (printable) return Buffer.from(`"${bytes.toString('latin1').replace(/["\\]/g, '\\$&')}"`, 'latin1');
  return literal(bytes);
}

export function literal(bytes: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`{${bytes.length}}\r\n`), bytes]);
}

export function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** INTERNALDATE in UTC: "15-Jan-2024 10:30:00 +0000". */
export function formatInternalDate(date: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  return (
    `${pad(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`
  );
}

/** Parses an APPEND date-time ("15-Jan-2024 10:30:00 +0100", day may be space-padded). */
export function parseInternalDate(text: string): Date | undefined {
  const m = /^\s?(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/.exec(text);
  if (!m) return undefined;
  const month = MONTHS.findIndex((name) => name.toLowerCase() === m[2]!.toLowerCase());
  if (month < 0) return undefined;
  const offset = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9])) * 60_000;
  return new Date(Date.UTC(Number(m[3]), month, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6])) - offset);
}
