import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { RuntimeError } from '../../api/errors.js';

export type Backend = 'thread' | 'inline' | 'pool';

/** The main thread takes part in channels under this name. */
export const MAIN = 'main';

export interface ActorDeclaration {
  name: string;
  /** Key of the class in the app module's `actors` map. */
  key: string;
  /** Structured-cloneable options given to the class's constructor. */
  options: unknown;
  backend: Backend;
  /** Which manager owns it ('repository', 'engine', 'logger', ...). */
  manager: string;
  /**
   * The worker that hosts it: actors with the same host share one worker (one
   * thread, or one pool task) and call each other directly. Default: a worker
   * of its own, named after the actor. Inline actors all live on the main thread.
   */
  host?: string;
}

/**
 * A channel: `client` calls the methods of `server`'s actor over comlink.
 * The MessageChannel is created when the channel is declared, before any
 * worker starts; each end is handed to its actor at start.
 */
export interface ChannelDeclaration {
  name: string;
  /** 'rpc': comlink requests; 'log': log lines flowing to the logger actor. */
  kind: 'rpc' | 'log';
  client: string;
  server: string;
  ports: { client: MessagePort; server: MessagePort };
}

/** The static shape of an app: its actors and the channels between them. */
export class Topology {
  readonly actors = new Map<string, ActorDeclaration>();
  readonly channels = new Map<string, ChannelDeclaration>();
  private sealed = false;

  declareActor(actor: ActorDeclaration): void {
    this.refuseAfterStart(`actor "${actor.name}"`);
    if (actor.name === MAIN) throw new RuntimeError(`"${MAIN}" is the main thread's name; choose another actor name`);
    if (this.actors.has(actor.name)) throw new RuntimeError(`actor "${actor.name}" is declared twice`);
    this.actors.set(actor.name, actor);
  }

  /** Declares that `client` calls `server`. Named "client->server" unless a name is given. */
  connect(client: string, server: string, name = `${client}->${server}`, kind: ChannelDeclaration['kind'] = 'rpc'): ChannelDeclaration {
    this.refuseAfterStart(`channel "${name}"`);
    if (this.channels.has(name)) throw new RuntimeError(`channel "${name}" is declared twice`);
    const { port1, port2 } = new MessageChannel();
    const channel = { name, kind, client, server, ports: { client: port1, server: port2 } };
    this.channels.set(name, channel);
    return channel;
  }

  /** Checks that every channel has an actor (or the main thread) at both ends, then forbids changes. */
  seal(): void {
    for (const channel of this.channels.values()) {
      for (const end of [channel.client, channel.server]) {
        if (end !== MAIN && !this.actors.has(end)) {
          throw new RuntimeError(`channel "${channel.name}" has no other end: no actor named "${end}" is declared`);
        }
      }
      if (channel.server === MAIN) throw new RuntimeError(`channel "${channel.name}": the main thread cannot serve requests`);
    }
    for (const [worker, actors] of this.workers) {
      const backends = new Set(actors.map((actor) => actor.backend));
      if (backends.size > 1) {
        throw new RuntimeError(`worker "${worker}" hosts actors on different backends (${[...backends].join(', ')}): ${actors.map((a) => a.name).join(', ')}`);
      }
      if (this.actors.has(worker) && this.workerOf(worker) !== worker) {
        throw new RuntimeError(`worker "${worker}" has the name of actor "${worker}", which another worker hosts; name the worker otherwise`);
      }
    }
    this.sealed = true;
  }

  get isSealed(): boolean {
    return this.sealed;
  }

  /** The worker hosting `actor` (the unit the supervisor starts, stops and restarts). */
  workerOf(actor: string): string {
    const declaration = this.actors.get(actor);
    return declaration?.host ?? actor;
  }

  /** The actors a worker hosts, in declaration order. */
  actorsOn(worker: string): ActorDeclaration[] {
    return [...this.actors.values()].filter((actor) => this.workerOf(actor.name) === worker);
  }

  /** The workers and the actors each hosts, in declaration order. */
  get workers(): Map<string, ActorDeclaration[]> {
    const workers = new Map<string, ActorDeclaration[]>();
    for (const actor of this.actors.values()) {
      const worker = this.workerOf(actor.name);
      workers.set(worker, [...(workers.get(worker) ?? []), actor]);
    }
    return workers;
  }

  /** The thread `actor` runs on: the main thread for inline actors, else its worker's. */
  threadOf(actor: string): string {
    if (actor === MAIN || this.actors.get(actor)?.backend === 'inline') return MAIN;
    return this.workerOf(actor);
  }

  /**
   * An rpc channel between two actors of one thread is a direct call: the
   * client awaits the server instance's method (no MessagePort, no clone).
   * The main thread's own clients always go through their channel.
   */
  isDirect(channel: ChannelDeclaration): boolean {
    return channel.kind === 'rpc' && channel.client !== MAIN && this.threadOf(channel.client) === this.threadOf(channel.server);
  }

  channelsOf(actor: string): ChannelDeclaration[] {
    return [...this.channels.values()].filter((c) => c.client === actor || c.server === actor);
  }

  /** Replaces a channel's MessageChannel (used when a worker restarts: its old ports died with it). */
  renew(name: string): ChannelDeclaration {
    const channel = this.channels.get(name);
    if (!channel) throw new RuntimeError(`unknown channel "${name}"`);
    const { port1, port2 } = new MessageChannel();
    channel.ports = { client: port1, server: port2 };
    return channel;
  }

  private refuseAfterStart(what: string): void {
    if (this.sealed) throw new RuntimeError(`${what} declared after the app started: declare every actor and channel before start`);
  }
}
