import { createHash, type Hash } from 'node:crypto';
import type { Identity } from '../api/types.js';

const CR = 13;
const LF = 10;
const CRLF = new Uint8Array([CR, LF]);
/** A header larger than this is not a header we trust for a Message-ID. */
const MAX_HEADER = 1 << 20;

/** Identity of a message known by its Message-ID and its CRLF size. */
export function identityFromMessageId(messageId: string, size: number): Identity {
  return `mid:${normalizeMessageId(messageId)}:${size}`;
}

/** '<abc@example>' and ' <abc@example> (comment)' name the same message: keep the angle-bracketed part. */
export function normalizeMessageId(raw: string): string {
  const trimmed = raw.trim();
  const match = /<[^>]*>/.exec(trimmed);
  return match ? match[0] : trimmed;
}

/**
 * Computes an identity from a message's bytes, fed in chunks so that large
 * messages never need to be held whole. Line ends are counted as CRLF
 * whatever the store keeps (a Maildir file may use bare LF). The body is
 * hashed only when the header has no Message-ID: a message with one costs a
 * scan for line ends, not a SHA-256.
 */
export class IdentityBuilder {
  private crlfSize = 0;
  private previous = -1;
  private readonly hash: Hash = createHash('sha256');
  private headerChunks: Buffer[] = [];
  private headerBytes = 0;
  /** undefined while the header is being read; then the Message-ID, or null when there is none. */
  private messageId: string | null | undefined;

  update(chunk: Uint8Array): void {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (this.messageId === undefined) this.readHeader(bytes);
    // Hash until the header shows a Message-ID; without one, the hash is the identity.
    const hashing = typeof this.messageId !== 'string';
    let start = 0;
    for (let lf = bytes.indexOf(LF); lf !== -1; lf = bytes.indexOf(LF, lf + 1)) {
      const before = lf > 0 ? bytes[lf - 1] : this.previous;
      if (before === CR) continue;
      // A bare LF counts, and hashes, as CRLF.
      this.crlfSize += 1;
      if (hashing) {
        this.hash.update(bytes.subarray(start, lf));
        this.hash.update(CRLF);
      }
      start = lf + 1;
    }
    if (hashing) this.hash.update(bytes.subarray(start));
    this.crlfSize += bytes.length;
    if (bytes.length > 0) this.previous = bytes[bytes.length - 1]!;
  }

  /** The identity, and the Message-ID when the header has one. */
  digest(): { identity: Identity; messageId?: string } {
    if (this.messageId === undefined) this.finishHeader();
    if (this.messageId) return { identity: identityFromMessageId(this.messageId, this.crlfSize), messageId: this.messageId };
    return { identity: `sha256:${this.hash.digest('hex')}` };
  }

  /**
   * Collects the header (its first MiB at most) until the blank line that
   * ends it, then looks for the Message-ID. Only the header is decoded: a
   * whole message given at once is searched as bytes, not turned into text.
   */
  private readHeader(bytes: Buffer): void {
    const part = bytes.subarray(0, Math.max(0, MAX_HEADER - this.headerBytes));
    this.headerChunks.push(part);
    this.headerBytes += part.length;
    const header = this.headerChunks.length === 1 ? part : Buffer.concat(this.headerChunks);
    const end = headerEnd(header);
    if (end !== -1) this.finishHeader(header.toString('latin1', 0, end));
    else if (this.headerBytes >= MAX_HEADER) this.finishHeader('');
  }

  /** A message that ends without a blank line is all header. */
  private finishHeader(text = Buffer.concat(this.headerChunks).toString('latin1')): void {
    this.messageId = findMessageId(text) ?? null;
    this.headerChunks = [];
  }
}

/** Where the header ends (before the line end of its last line), -1 before the blank line: /^\r?\n|\r?\n\r?\n/ on bytes. */
function headerEnd(bytes: Buffer): number {
  if (bytes[0] === LF || (bytes[0] === CR && bytes[1] === LF)) return 0;
  const bare = bytes.indexOf('\n\n', 0, 'latin1');
  const crlf = bytes.indexOf('\n\r\n', 0, 'latin1');
  const lf = bare === -1 ? crlf : crlf === -1 ? bare : Math.min(bare, crlf);
  if (lf === -1) return -1;
  return lf > 0 && bytes[lf - 1] === CR ? lf - 1 : lf;
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
