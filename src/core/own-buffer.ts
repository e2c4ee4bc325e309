/**
 * A Uint8Array that owns its whole ArrayBuffer, so transferring it cannot
 * take a pooled buffer away from anyone. A Buffer that already owns its
 * memory (any but the smallest) is wrapped, not copied.
 */
export function ownBuffer(buffer: Buffer): Uint8Array {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) return new Uint8Array(buffer.buffer, 0, buffer.byteLength);
  return new Uint8Array(buffer);
}
