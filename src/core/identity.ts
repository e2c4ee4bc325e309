import { createHash, type Hash } from 'node:crypto';
import type { Identity } from '../api/types.js';

const CR = 13;
const LF = 10;
const CRLF = new Uint8Array([CR, LF]);
const CR_ONLY = new Uint8Array([CR]);
/** A header larger than this is not a header we trust for a Message-ID: the whole message is then hashed as a body. */
const MAX_HEADER = 1 << 20;
/**
 * Header fields that go into the hash of a message without a Message-ID
 * (with its body): fields servers keep, unlike trace fields they may add.
 */
const HASHED_FIELDS = new Set(['date', 'from', 'to', 'cc', 'subject', 'in-reply-to', 'references']);

/**
 * Identity of a message known by its Message-ID. The size is not part of it:
 * servers store messages a little differently than they were sent (a final
 * line break added, 8-bit header bytes rewritten), which changes the size.
 */
export function identityFromMessageId(messageId: string): Identity {
  return `mid:${normalizeMessageId(messageId)}`;
}

/** '<abc@example>' and ' <abc@example> (comment)' name the same message: keep the angle-bracketed part. */
export function normalizeMessageId(raw: string): string {
  const trimmed = raw.trim();
  const match = /<[^>]*>/.exec(trimmed);
  return match ? match[0] : trimmed;
}

/**
 * Computes an identity from a message's bytes, fed in chunks so that large
 * messages never need to be held whole.
 *
 * With a Message-ID the identity is 'mid:<Message-ID>' and nothing is hashed.
 * Without one it is the SHA-256 of the message normalised so that what
 * servers change when they store it does not count (README, "What imapfw
 * checks"):
 * - the header fields Date, From, To, Cc, Subject, In-Reply-To, References,
 *   unfolded, runs of white space made one space, each field left out when
 *   it holds a byte >= 0x80 or a '?' (a raw 8-bit field, or one a server
 *   rewrote to '?' or to MIME encoded-words); every other header field is
 *   left out (servers add trace fields);
 * - the body with every line end counted as CRLF (bare LF, CRLF alike) and
 *   the line breaks at its end left out (a server may add a final CRLF).
 */
export class IdentityBuilder {
  private readonly hash: Hash = createHash('sha256');
  private headerChunks: Buffer[] = [];
  private headerBytes = 0;
  /** undefined while the header is being read; then the Message-ID, or null when there is none. */
  private messageId: string | null | undefined;
  /** Line breaks seen in the body and not hashed yet: hashed only once more content follows. */
  private pendingBreaks = 0;
  /** A CR ended the last chunk: part of a CRLF, or content. */
  private heldCr = false;

  update(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.messageId === undefined) {
      const body = this.readHeader(bytes);
      if (body && this.messageId === null) this.hashBody(body);
    } else if (this.messageId === null) {
      this.hashBody(bytes);
    }
  }

  /** True once the header's Message-ID is found: the identity no longer depends on the bytes to come. */
  get decided(): boolean {
    return typeof this.messageId === 'string';
  }

  /** The identity, and the Message-ID when the header has one. */
  digest(): { identity: Identity; messageId?: string } {
    if (this.messageId === undefined) this.finishHeader(Buffer.concat(this.headerChunks), undefined);
    if (this.messageId) return { identity: identityFromMessageId(this.messageId), messageId: this.messageId };
    // Line breaks (and a lone CR) at the very end are left out.
    return { identity: `sha256:${this.hash.digest('hex')}` };
  }

  /**
   * Collects the header (its first MiB at most) until the blank line that
   * ends it, then looks for the Message-ID. Returns the bytes of `bytes`
   * after the header, once it has ended. Only the header is decoded.
   */
  private readHeader(bytes: Buffer): Buffer | undefined {
    const room = Math.max(0, MAX_HEADER - this.headerBytes);
    this.headerChunks.push(bytes.subarray(0, room));
    this.headerBytes += Math.min(room, bytes.length);
    const header = this.headerChunks.length === 1 ? this.headerChunks[0]! : Buffer.concat(this.headerChunks);
    const bounds = headerBounds(header);
    if (bounds) {
      this.finishHeader(header.subarray(0, bounds.end), header.subarray(bounds.bodyStart));
      return bytes.subarray(room);
    }
    if (this.headerBytes >= MAX_HEADER) {
      // No header we trust: the whole message counts as body.
      this.finishHeader(Buffer.alloc(0), header);
      return bytes.subarray(room);
    }
    return undefined;
  }

  /** `body`: what was read past the header; undefined when the message is all header. */
  private finishHeader(header: Buffer, body: Buffer | undefined): void {
    const text = header.toString('latin1');
    this.messageId = findMessageId(text) ?? null;
    this.headerChunks = [];
    if (this.messageId !== null) return;
    this.hash.update(hashedHeader(text), 'latin1');
    this.hash.update(CRLF);
    if (body) this.hashBody(body);
  }

  /**
   * Hashes body bytes with CRLF line ends, holding back line breaks until
   * content follows them. What is hashed as it was read (CRLF mail: all of
   * it but the final line breaks) goes to the hash as one span of `bytes`,
   * not line by line.
   */
  private hashBody(bytes: Buffer): void {
    this.span = { bytes, start: 0, end: -1 };
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, start)) {
      const line = bytes.subarray(start, lf);
      // A CR right before the LF (in this chunk, or held from the last one) is part of the line break.
      if (line.length > 0) this.content(this.heldCr, start, line[line.length - 1] === CR ? lf - 1 : lf);
      this.heldCr = false;
      this.pendingBreaks += 1;
      start = lf + 1;
    }
    if (start < bytes.length) {
      const endsWithCr = bytes[bytes.length - 1] === CR;
      this.content(this.heldCr, start, endsWithCr ? bytes.length - 1 : bytes.length);
      this.heldCr = endsWithCr;
    }
    this.flushSpan();
    this.span = undefined;
  }

  /** The chunk being hashed, and the part of it [start, end) read but not hashed yet (end -1: none). */
  private span: { bytes: Buffer; start: number; end: number } | undefined;

  /** Content from `from` to `to` of the chunk, after the line breaks held back (and a CR held from the last chunk). */
  private content(leadingCr: boolean, from: number, to: number): void {
    if (!leadingCr && from === to) return;
    const span = this.span!;
    // Held breaks that were CRLF in the chunk, right after the span: the span grows over them and this content.
    if (!leadingCr && span.end >= 0 && from - span.end === 2 * this.pendingBreaks) {
      this.pendingBreaks = 0;
      span.end = to;
      return;
    }
    this.flushSpan();
    for (; this.pendingBreaks > 0; this.pendingBreaks--) this.hash.update(CRLF);
    if (leadingCr) this.hash.update(CR_ONLY);
    span.start = from;
    span.end = to;
  }

  private flushSpan(): void {
    const span = this.span!;
    if (span.end > span.start) this.hash.update(span.bytes.subarray(span.start, span.end));
    span.end = -1;
  }
}

/**
 * Where the header ends (before the line end of its last line) and the body
 * starts (after the blank line), or undefined before the blank line. One
 * pass over the header's line ends, stopping at the blank line: CRLF and
 * bare-LF mail alike never cost a scan past the header.
 */
export function headerBounds(bytes: Buffer): { end: number; bodyStart: number } | undefined {
  if (bytes[0] === LF) return { end: 0, bodyStart: 1 };
  if (bytes[0] === CR && bytes[1] === LF) return { end: 0, bodyStart: 2 };
  for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, lf + 1)) {
    const blankLine = bytes[lf + 1] === LF ? 1 : bytes[lf + 1] === CR && bytes[lf + 2] === LF ? 2 : 0;
    if (blankLine) return { end: bytes[lf - 1] === CR ? lf - 1 : lf, bodyStart: lf + 1 + blankLine };
  }
  return undefined;
}

/** The header fields that count for a message without a Message-ID, normalised (see IdentityBuilder). */
function hashedHeader(header: string): string {
  const fields: string[] = [];
  for (const field of header.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = field.indexOf(':');
    if (colon <= 0) continue;
    const name = field.slice(0, colon).trim().toLowerCase();
    const value = field.slice(colon + 1).replace(/[ \t\r]+/g, ' ').trim();
    if (HASHED_FIELDS.has(name) && !/[?\x80-\xff]/.test(value)) fields.push(`${name}:${value}`);
  }
  return fields.join('\r\n');
}

export function identityFromBody(body: Uint8Array): { identity: Identity; messageId?: string } {
  const builder = new IdentityBuilder();
  builder.update(body);
  return builder.digest();
}

/** Finds the Message-ID header in a header block (folded or not, CRLF or LF). */
export function findMessageId(header: string): string | undefined {
  const unfolded = header.replace(/\r?\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*?)\r?$/im.exec(unfolded);
  const value = match?.[1]?.trim();
  return value ? normalizeMessageId(value) : undefined;
}

/**
 * The identity an old state database saved ('mid:<id>:<size>', or a hash
 * computed another way), as this version computes it: the Message-ID one
 * without its size; undefined for a hash, which cannot be recomputed without
 * the message (the engine asks the stores again when it needs it).
 */
export function upgradeSavedIdentity(saved: string): Identity | undefined {
  const match = /^(mid:.*):\d+$/s.exec(saved);
  return match ? match[1] : undefined;
}
