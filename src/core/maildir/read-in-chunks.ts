import { fstatSync, readSync } from 'node:fs';

const CHUNK = 256 * 1024;

/**
 * Feeds an open file to `sink` chunk by chunk, so a large message never sits
 * whole in memory, until the end or until `sink` returns false (it has what
 * it needs). Plain synchronous reads into one buffer: a message file is read
 * from the page cache in microseconds, less than a hop to libuv's pool costs,
 * and a read stream per small file costs several times the reading itself.
 */
export function readInChunks(fd: number, sink: (chunk: Uint8Array) => boolean | void): void {
  const { size } = fstatSync(fd);
  const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK, size + 1)));
  for (;;) {
    const bytesRead = readSync(fd, buffer, 0, buffer.length, null);
    if (bytesRead === 0 || sink(buffer.subarray(0, bytesRead)) === false) return;
  }
}
