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
