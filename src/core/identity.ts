import { createHash, type Hash } from 'node:crypto';
import type { Identity } from '../api/types.js';

const CR = 13;
const LF = 10;

/** Identity of a message known by its Message-ID and its CRLF size. */
export function identityFromMessageId(messageId: string, size: number): Identity {
  return `mid:${normalizeMessageId(messageId)}:${size}`;
}

/** '<Abc@Example>' and ' <abc@example> ' name the same message: trim, keep case (RFC 5322 ids are case-sensitive on the left). */
export function normalizeMessageId(raw: string): string {
  const trimmed = raw.trim();
  const match = /<[^>]*>/.exec(trimmed);
  return match ? match[0] : trimmed;
}

/**
 * Computes an identity from a message's bytes, fed in chunks so that large
 * messages never need to be held whole. Line ends are counted as CRLF
 * whatever the store keeps (a Maildir file may use bare LF).
 */
export class IdentityBuilder {
  private crlfSize = 0;
  private previous = -1;
  private readonly hash: Hash = createHash('sha256');
  private header: number[] | undefined = [];
  private headerDone = false;

  update(chunk: Uint8Array): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i]!;
      if (byte === LF && this.previous !== CR) {
        // Bare LF: hash and count it as CRLF.
        if (i > start) this.hash.update(chunk.subarray(start, i));
        this.hash.update(CRLF);
        this.crlfSize += 2;
        start = i + 1;
        this.pushHeader(CR);
        this.pushHeader(LF);
      } else {
        this.crlfSize += 1;
        this.pushHeader(byte);
      }
      this.previous = byte;
    }
    if (start < chunk.length) this.hash.update(chunk.subarray(start));
  }

  /** The identity, and the Message-ID when the header has one. */
  digest(): { identity: Identity; messageId?: string } {
    const messageId = this.header ? findMessageId(Buffer.from(this.header).toString('latin1')) : undefined;
    const sha = this.hash.digest('hex');
    if (messageId) return { identity: identityFromMessageId(messageId, this.crlfSize), messageId: normalizeMessageId(messageId) };
    return { identity: `sha256:${sha}` };
  }

  /** Collects header bytes (CRLF form) until the blank line that ends the header. */
  private pushHeader(byte: number): void {
    if (this.headerDone || !this.header) return;
    const h = this.header;
    h.push(byte);
    const n = h.length;
    if (n >= 4 && h[n - 4] === CR && h[n - 3] === LF && h[n - 2] === CR && h[n - 1] === LF) this.headerDone = true;
    else if (n === 2 && h[0] === CR && h[1] === LF) this.headerDone = true;
    // A header larger than 1 MiB is not a header we trust for a Message-ID.
    if (n > 1 << 20) this.header = undefined;
  }
}

const CRLF = new Uint8Array([CR, LF]);

export function identityFromBody(body: Uint8Array): { identity: Identity; messageId?: string } {
  const builder = new IdentityBuilder();
  builder.update(body);
  return builder.digest();
}

/** Finds the Message-ID header in an unfolded-or-folded header block. */
export function findMessageId(header: string): string | undefined {
  const unfolded = header.replace(/\r\n[ \t]+/g, ' ');
  const match = /^message-id:[ \t]*(.*)$/im.exec(unfolded);
  const value = match?.[1]?.trim();
  return value ? normalizeMessageId(value) : undefined;
}
