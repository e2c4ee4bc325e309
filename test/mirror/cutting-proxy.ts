// A loopback TCP proxy in front of the test Dovecot that cuts its
// connections like a network failure (a TCP reset), and can refuse new ones
// for a while.
import net from 'node:net';

export interface CuttingProxy {
  port: number;
  /** Bytes the server has sent to clients through the proxy so far. */
  readonly bytesDown: number;
  /** Connections cut so far (open ones cut, and new ones refused). */
  readonly cut: number;
  /** New connections refused so far (see cutAll's `refuse`): attempts a client made while it could not get through. */
  readonly refused: number;
  /** Cuts every open connection now; with `refuse`, also every later one until heal(). */
  cutAll(options?: { refuse?: boolean }): void;
  /** Lets connections through again. */
  heal(): void;
  close(): Promise<void>;
}

export async function startCuttingProxy(target: { host: string; port: number }): Promise<CuttingProxy> {
  const open = new Set<net.Socket>();
  let bytesDown = 0;
  let cut = 0;
  let refused = 0;
  let refusing = false;

  const cutOpen = () => {
    for (const socket of open) {
      socket.resetAndDestroy();
      cut += 1;
    }
    open.clear();
  };

  const server = net.createServer((client) => {
    if (refusing) {
      client.resetAndDestroy();
      cut += 1;
      refused += 1;
      return;
    }
    const upstream = net.connect(target.port, target.host);
    open.add(client);
    for (const [socket, other] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      socket.on('error', () => other.destroy());
      socket.on('close', () => {
        open.delete(client);
        other.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      bytesDown += chunk.length;
      if (!client.destroyed) client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as net.AddressInfo).port,
    get bytesDown() {
      return bytesDown;
    },
    get cut() {
      return cut;
    },
    get refused() {
      return refused;
    },
    cutAll: (options = {}) => {
      refusing = options.refuse === true;
      cutOpen();
    },
    heal: () => {
      refusing = false;
    },
    close: async () => {
      cutOpen();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
