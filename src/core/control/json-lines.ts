import type { Socket } from 'node:net';

/**
 * Calls `onLine` with each newline-ended line read from `socket` (UTF-8,
 * without its line end). A line longer than `maxBytes` is never buffered
 * whole: `onOverflow` is called once and reading stops.
 */
export function readLines(socket: Socket, maxBytes: number, onLine: (line: string) => void, onOverflow: () => void): void {
  let pending: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    let end: number;
    while ((end = pending.indexOf(0x0a)) !== -1) {
      const line = pending.subarray(0, end).toString('utf8').replace(/\r$/, '');
      pending = pending.subarray(end + 1);
      if (line.trim() !== '') onLine(line);
    }
    if (pending.length > maxBytes) {
      socket.off('data', onData);
      pending = Buffer.alloc(0);
      onOverflow();
    }
  };
  socket.on('data', onData);
}

/** Writes one line (JSON text without a line end), unless the socket is already gone. */
export function writeLine(socket: Socket, json: string): void {
  if (!socket.destroyed && socket.writable) socket.write(`${json}\n`);
}
