// The scripted IMAP server: a node:net listener on loopback, an in-memory
// account, a script of misbehaviours. Started and stopped by the test.
import net from 'node:net';
import { Account, type SeedFolder } from './account.js';
import { Script } from './script.js';
import { Session } from './session.js';

/** What a Dovecot-like server advertises after login (no COMPRESS, no BINARY, no ESEARCH). */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'IMAP4rev1',
  'LITERAL+',
  'SASL-IR',
  'ID',
  'ENABLE',
  'IDLE',
  'NAMESPACE',
  'UNSELECT',
  'CHILDREN',
  'SPECIAL-USE',
  'LIST-EXTENDED',
  'UIDPLUS',
  'MOVE',
  'CONDSTORE',
  'QRESYNC',
];

export interface ScriptedImapOptions {
  /** user -> password; default { alice: 'alice-pw' }. */
  users?: Record<string, string>;
  /** Post-login capabilities; default DEFAULT_CAPABILITIES. See `withoutCapabilities`. */
  capabilities?: readonly string[];
  /** SASL mechanisms offered before login; default ['PLAIN']. [] leaves only LOGIN. */
  authMechanisms?: string[];
  /** Hierarchy delimiter; null answers NIL (a flat namespace). Default '/'. */
  delimiter?: string | null;
  /** Folders and messages the account starts with (INBOX always exists). */
  folders?: SeedFolder[];
}

export interface LoggedCommand {
  /** 'UID FETCH', 'APPEND', … */
  name: string;
  /** The command line with its tag, literals as `{n}` markers. */
  text: string;
  user?: string;
  /** The folder selected when it came. */
  folder?: string;
}

export class ScriptedImapServer {
  readonly host = '127.0.0.1';
  port = 0;
  readonly account: Account;
  readonly script = new Script();
  users: Record<string, string>;
  /** Mutable: a test may change what the server advertises between connections. */
  capabilities: string[];
  authMechanisms: string[];
  delimiter: string | null;
  /** Every command received, in order. */
  readonly log: LoggedCommand[] = [];
  readonly sessions = new Set<Session>();
  /** Connections accepted so far. */
  connections = 0;
  private readonly listener: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(options: ScriptedImapOptions = {}) {
    this.users = options.users ?? { alice: 'alice-pw' };
    this.capabilities = [...(options.capabilities ?? DEFAULT_CAPABILITIES)];
    this.authMechanisms = options.authMechanisms ?? ['PLAIN'];
    this.delimiter = options.delimiter === undefined ? '/' : options.delimiter;
    this.account = new Account(options.folders);
    this.listener = net.createServer((socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    this.connections += 1;
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => {});
    const session = new Session(this, socket);
    this.sessions.add(session);
    void session
      .run()
      .catch(() => socket.destroy())
      .finally(() => this.sessions.delete(session));
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(0, this.host, () => resolve());
    });
    this.port = (this.listener.address() as net.AddressInfo).port;
  }

  /** imap://user@127.0.0.1:port (the password goes separately). */
  url(user = 'alice'): string {
    return `imap://${user}@${this.host}:${this.port}`;
  }

  /** Closes every client connection (the listener stays). */
  disconnectAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Commands received with this name ('UID STORE'), in order. */
  commands(name?: string): LoggedCommand[] {
    return name ? this.log.filter((c) => c.name === name.toUpperCase()) : [...this.log];
  }

  async stop(): Promise<void> {
    this.disconnectAll();
    await new Promise<void>((resolve) => this.listener.close(() => resolve()));
  }
}

/** A scripted server listening on a free loopback port. */
export async function startScriptedImap(options: ScriptedImapOptions = {}): Promise<ScriptedImapServer> {
  const server = new ScriptedImapServer(options);
  await server.listen();
  return server;
}

/** DEFAULT_CAPABILITIES without `names` (e.g. 'UIDPLUS', 'MOVE', 'CONDSTORE', 'QRESYNC'). */
export function withoutCapabilities(...names: string[]): string[] {
  const hidden = new Set(names.map((n) => n.toUpperCase()));
  return DEFAULT_CAPABILITIES.filter((c) => !hidden.has(c.toUpperCase()));
}
