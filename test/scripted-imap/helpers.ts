import net from 'node:net';
import { ImapFlow, type ImapFlowOptions } from 'imapflow';
import { ImapRepository, type ImapRepositoryOptions } from '../../src/api/repositories/imap.js';
import type { ScriptedImapServer } from '../support/scripted-imap/index.js';

/** A repository logged in as `user` (default alice) on a scripted server. */
export function repositoryOnScripted(server: ScriptedImapServer, options: Partial<ImapRepositoryOptions> = {}, user = 'alice'): ImapRepository {
  return new ImapRepository({ url: server.url(user), password: { value: server.users[user]! }, ...options });
}

/** A message with LF line ends and a Latin-1 Subject as written (raw 8-bit), with a Message-ID unless `id` is null. */
export function lfMessage(subject: string, id: string | null, body: string): Buffer {
  return Buffer.from(`From: a@x.example\nDate: Mon, 15 Jan 2024 10:30:00 +0000\nSubject: ${subject}\n${id ? `Message-ID: <${id}>\n` : ''}\n${body}`, 'latin1');
}

/** A plain imapflow client logged in on a scripted server: to see exactly what imapflow makes of a misbehaviour. */
export async function imapflowOn(server: ScriptedImapServer, options: Partial<ImapFlowOptions> = {}, user = 'alice'): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: server.host,
    port: server.port,
    secure: false,
    doSTARTTLS: false,
    auth: { user, pass: server.users[user]! },
    logger: false,
    qresync: true,
    disableAutoIdle: true,
    ...options,
  });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** A byte-level client: sends lines, keeps every byte and chunk received. */
export class RawClient {
  readonly chunks: Buffer[] = [];
  readonly closed: Promise<void>;
  private waiters: (() => void)[] = [];

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.chunks.push(chunk);
      for (const wake of this.waiters.splice(0)) wake();
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(server: ScriptedImapServer): Promise<RawClient> {
    const socket = net.connect(server.port, server.host);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    return new RawClient(socket);
  }

  get text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  send(line: string): void {
    this.socket.write(`${line}\r\n`);
  }

  /** Waits until the bytes received match `pattern`; rejects when the connection closes first. */
  async waitFor(pattern: RegExp): Promise<string> {
    let open = true;
    void this.closed.then(() => {
      open = false;
      for (const wake of this.waiters.splice(0)) wake();
    });
    while (!pattern.test(this.text)) {
      if (!open) throw new Error(`closed before ${pattern}: ${JSON.stringify(this.text.slice(-200))}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    return this.text;
  }

  /** Logs in as alice and selects `folder`. */
  async loginAndSelect(folder = 'INBOX', password = 'alice-pw'): Promise<void> {
    await this.waitFor(/^\* OK/);
    this.send(`l1 LOGIN alice ${password}`);
    await this.waitFor(/l1 OK/);
    this.send(`l2 SELECT ${folder}`);
    await this.waitFor(/l2 OK/);
  }

  close(): void {
    this.socket.destroy();
  }
}
