import type { FileHandle } from 'node:fs/promises';

const CHUNK = 256 * 1024;

/**
 * Feeds a file to `sink` chunk by chunk, so a large message never sits whole
 * in memory. Plain reads into one buffer: a read stream per small file
 * costs several times the reading itself.
 */
export async function readInChunks(handle: FileHandle, sink: (chunk: Uint8Array) => void): Promise<void> {
  const { size } = await handle.stat();
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, size + 1)));
  for (;;) {
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
    if (bytesRead === 0) return;
    sink(buffer.subarray(0, bytesRead));
  }
}
