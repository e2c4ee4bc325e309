// A loopback TCP proxy in front of a real server that, once armed, stops
// passing the server's bytes on after a given point (the server "stalls"), or
// passes them one at a time every few hundred ms (it "dribbles"), the way a
// hung server, proxy or network does. It can also slow the client's bytes to
// a steady rate (an upload on a slow link).
import net from 'node:net';

export type Misbehaviour =
  /** After `after` more bytes from the server, pass nothing more. */
  | { kind: 'stall'; after: number }
  /** After `after` more bytes, pass one byte every `everyMs`. */
  | { kind: 'dribble'; after: number; everyMs: number };

export interface StallingProxy {
  port: number;
  /** The server's bytes passed on so far. */
  readonly bytesDown: number;
  /** Misbehave once the client sends a line matching `trigger` (on any connection, open or new, until heal()). */
  arm(trigger: RegExp, how: Misbehaviour): void;
  /** Pass the client's bytes at about this many bytes per second (undefined: at once). */
  throttleUp(bytesPerSecond: number | undefined): void;
  /** Behave again (open connections stay as they are; new ones are healthy). */
  heal(): void;
  close(): Promise<void>;
}

export async function startStallingProxy(target: { port: number; host?: string }): Promise<StallingProxy> {
  const open = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let bytesDown = 0;
  let armed: { trigger: RegExp; how: Misbehaviour } | undefined;
  let upRate: number | undefined;

  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host ?? '127.0.0.1');
    open.add(client);
    open.add(upstream);
    /** Bytes the server may still send before the misbehaviour starts; undefined until triggered. */
    let allowance: number | undefined;
    let heard = '';
    const held: Buffer[] = [];
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        open.delete(socket);
        other.destroy();
      });
    }
    client.on('data', (chunk: Buffer) => {
      const plan = armed;
      if (plan && allowance === undefined) {
        heard = (heard + chunk.toString('latin1')).slice(-4096);
        if (plan.trigger.test(heard)) {
          allowance = plan.how.after;
          if (plan.how.kind === 'dribble') startDribble(plan.how.everyMs);
        }
      }
      if (upRate === undefined) return void upstream.write(chunk);
      client.pause();
      upstream.write(chunk);
      const timer = setTimeout(() => {
        timers.delete(timer);
        client.resume();
      }, (chunk.length / upRate) * 1000);
      timers.add(timer);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (allowance === undefined) return pass(chunk);
      const now = chunk.subarray(0, allowance);
      allowance -= now.length;
      if (now.length) pass(now);
      if (now.length < chunk.length) held.push(chunk.subarray(now.length));
    });
    function pass(chunk: Buffer): void {
      bytesDown += chunk.length;
      if (!client.destroyed) client.write(chunk);
    }
    function startDribble(everyMs: number): void {
      const timer = setInterval(() => {
        if (client.destroyed) return void clearInterval(timer);
        const first = held[0];
        if (!first || allowance! > 0) return;
        pass(first.subarray(0, 1));
        if (first.length > 1) held[0] = first.subarray(1);
        else held.shift();
      }, everyMs);
      timers.add(timer);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    get bytesDown() {
      return bytesDown;
    },
    arm(trigger, how) {
      armed = { trigger, how };
    },
    throttleUp(bytesPerSecond) {
      upRate = bytesPerSecond;
    },
    heal() {
      armed = undefined;
      upRate = undefined;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
