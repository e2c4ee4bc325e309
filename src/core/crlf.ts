const CR = 13;
const LF = 10;

/** Where `body` has an LF not preceded by a CR. */
export function bareLfPositions(body: Uint8Array): number[] {
  const positions: number[] = [];
  for (let lf = body.indexOf(LF); lf !== -1; lf = body.indexOf(LF, lf + 1)) if (lf === 0 || body[lf - 1] !== CR) positions.push(lf);
  return positions;
}

/**
 * The message with every bare LF made CRLF: one scan for line ends, then
 * one copy of the bytes between them; the same buffer when there is no bare
 * LF (the common case for mail that came from a server). IMAP wants CRLF
 * line ends, and some servers refuse a message with bare newlines.
 */
export function toCrlf(body: Uint8Array): Uint8Array {
  const bare = bareLfPositions(body);
  if (bare.length === 0) return body;
  const out = new Uint8Array(body.byteLength + bare.length);
  let from = 0;
  let to = 0;
  for (const lf of bare) {
    out.set(body.subarray(from, lf), to);
    to += lf - from;
    out[to++] = CR;
    out[to++] = LF;
    from = lf + 1;
  }
  out.set(body.subarray(from), to);
  return out;
}

/**
 * A message's size with every bare LF counted as CRLF (IMAP RFC822.SIZE),
 * counted chunk by chunk so that a large message need not be held whole.
 */
export class CrlfSizeCounter {
  private bytes = 0;
  private bareLfs = 0;
  /** The last byte of the previous chunk was a CR. */
  private afterCr = false;

  update(chunk: Uint8Array): void {
    for (let lf = chunk.indexOf(LF); lf !== -1; lf = chunk.indexOf(LF, lf + 1)) {
      if (!(lf === 0 ? this.afterCr : chunk[lf - 1] === CR)) this.bareLfs++;
    }
    if (chunk.byteLength > 0) this.afterCr = chunk[chunk.byteLength - 1] === CR;
    this.bytes += chunk.byteLength;
  }

  get size(): number {
    return this.bytes + this.bareLfs;
  }
}

/** The size `body` has with every bare LF counted as CRLF (IMAP RFC822.SIZE). */
export function crlfSize(body: Uint8Array): number {
  const counter = new CrlfSizeCounter();
  counter.update(body);
  return counter.size;
}
