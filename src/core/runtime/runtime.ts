import type { Logger } from 'pino';
import { RuntimeError } from '../../api/errors.js';
import { workerLogger } from '../logging/worker-logger.js';
import { limitHeapGrowth } from './heap-growth.js';
import { listenForSecrets } from '../output/secrets.js';
import type { WorkerManager } from './managers.js';
import { connect, type Remote } from './rpc.js';
import { Supervisor, type SupervisorPolicy } from './supervisor.js';
import { MAIN, Topology } from './topology.js';
import type { MessagePort } from 'node:worker_threads';

export interface RuntimeOptions {
  /** URL of the app module every worker imports to find its actor class. */
  appModule: string;
  policy?: SupervisorPolicy;
}

/**
 * The main thread's side of an app: the topology, the managers in start
 * order, the supervisor, and the main thread's own clients of actors.
 */
export class Runtime {
  readonly topology = new Topology();
  readonly supervisor: Supervisor;
  private readonly managers: WorkerManager[] = [];
  private readonly sealHooks: (() => void)[] = [];
  private readonly remotes = new Map<string, Remote<unknown>>();
  private mainLogger: Logger | undefined;
  private started = false;
  private stopAsked = false;
  /** Set while start() waits for the actors: ends it when stop() is called meanwhile. */
  private stopWhileStarting: (() => void) | undefined;
  /** What the app's run does on a first SIGINT or SIGTERM (see onInterrupt). */
  private readonly interruptHandlers = new Set<() => void>();
  /** URL of the app module the runtime was made for (what its workers import). */
  readonly appModule: string;

  constructor(options: RuntimeOptions) {
    this.appModule = options.appModule;
    listenForSecrets();
    this.supervisor = new Supervisor(this.topology, options.appModule, options.policy);
    this.supervisor.onMainRebind = (channel, port) => this.remotes.set(channel, connect(port));
    // An actor refusing to start with a typed error (a bad URL, a state in use) ends the start, and the app says so
    // in one line: logged again at error, with its stack, it would repeat that line once per actor it failed.
    this.supervisor.onRecord = (record) => {
      const level = record.kind === 'start' && record.typed ? 'debug' : 'error';
      this.logger[level]({ failure: record }, `worker "${record.worker}" failed: ${record.message}`);
    };
  }

  register(manager: WorkerManager): void {
    this.managers.push(manager);
  }

  beforeSeal(hook: () => void): void {
    this.sealHooks.push(hook);
  }

  /**
   * Lets the app's run wind down by itself on a first SIGINT or SIGTERM
   * (runApp): `handler` asks its engines to finish the writes in flight and
   * start nothing more, and the run then returns, with its summary, before
   * the runtime stops. Without a handler, the signal stops the runtime at
   * once. Returns the function that removes the handler.
   */
  onInterrupt(handler: () => void): () => void {
    this.interruptHandlers.add(handler);
    return () => void this.interruptHandlers.delete(handler);
  }

  /** Calls the handlers onInterrupt registered; false when there is none. */
  interrupt(): boolean {
    for (const handler of this.interruptHandlers) handler();
    return this.interruptHandlers.size > 0;
  }

  /** Declares that the main thread calls `actor`. */
  connectMain(actor: string): void {
    this.topology.connect(MAIN, actor);
  }

  /** The main thread's client of `actor` (declared with `connectMain`); follows the actor across restarts. */
  client<T>(actor: string): Remote<T> {
    const channel = `${MAIN}->${actor}`;
    if (!this.topology.channels.has(channel)) throw new RuntimeError(`the main thread has no channel to "${actor}"; call connectMain("${actor}") before start`);
    return new Proxy({} as Remote<T>, {
      get: (_, method) => {
        if (typeof method !== 'string' || method === 'then') return undefined;
        return (...args: unknown[]) => {
          const remote = this.remoteOf(channel) as Record<string, (...a: unknown[]) => Promise<unknown>>;
          return this.guard(remote[method]!(...args));
        };
      },
    });
  }

  /** The main thread's end of `channel`, connected once (a restart replaces it: see onMainRebind). */
  private remoteOf(channel: string): Remote<unknown> {
    let remote = this.remotes.get(channel);
    if (!remote) {
      remote = connect(this.topology.channels.get(channel)!.ports.client);
      this.remotes.set(channel, remote);
    }
    return remote;
  }

  /** The main thread's logger: through the logger worker once started, standard error before. */
  get logger(): Logger {
    if (this.mainLogger) return this.mainLogger;
    const port = this.started ? this.topology.channels.get(`log:${MAIN}`)?.ports.client : undefined;
    const logger = workerLogger(MAIN, port);
    if (this.started) this.mainLogger = logger;
    return logger;
  }

  /** Completes and checks the topology (no worker starts); nothing can be declared afterwards. */
  seal(): void {
    if (this.topology.isSealed) return;
    for (const hook of this.sealHooks) hook();
    this.topology.seal();
  }

  /**
   * Seals the topology and starts every manager's workers, all at once:
   * requests sent to a worker still starting wait in its channel. Rejects
   * (RuntimeError) when stop() is called before it or while it waits.
   */
  async start(): Promise<void> {
    if (this.stopAsked) throw new RuntimeError('the runtime was stopped before it started');
    this.seal();
    this.started = true;
    limitHeapGrowth();
    // Connected before any actor can fail: a client first used after its actor died (waiting for a restart)
    // must see its channel closed, which a port connected after the close never does (the call would hang).
    for (const channel of this.topology.channels.values()) if (channel.client === MAIN && channel.kind === 'rpc') this.remoteOf(channel.name);
    // An actor stopped before it was ready never says it is: a stop() meanwhile (a signal during a slow login) ends the start.
    const stoppedFirst = new Promise<never>((_, reject) => {
      this.stopWhileStarting = () => reject(new RuntimeError('the runtime was stopped while its actors started'));
    });
    try {
      await Promise.race([Promise.all(this.managers.map((manager) => manager.start())), stoppedFirst]);
    } finally {
      this.stopWhileStarting = undefined;
    }
  }

  /** Stops every manager in reverse start order (the logger last, so the others' last words are written). */
  async stop(): Promise<void> {
    this.stopAsked = true;
    this.supervisor.refuseStarts();
    this.stopWhileStarting?.();
    const ordered = [...this.managers.filter((m) => m.kind !== 'logger').reverse(), ...this.managers.filter((m) => m.kind === 'logger')];
    for (const manager of ordered) await manager.stop();
    for (const manager of ordered) await manager.close();
    for (const channel of this.topology.channels.values()) {
      if (channel.client === MAIN) (channel.ports.client as MessagePort).close();
    }
  }

  /**
   * Stops these actors while the others go on (an account a daemon no longer
   * serves), one after another in the reverse of the given order (declaration
   * order: the state last): in-flight work finishes; a worker ends once all
   * its actors have. The main thread's ends of their channels are closed.
   */
  async stopActors(names: readonly string[]): Promise<void> {
    for (const name of [...names].reverse()) await this.supervisor.stop(name);
    for (const channel of this.topology.channels.values()) {
      if (channel.client === MAIN && names.includes(channel.server)) {
        (channel.ports.client as MessagePort).close();
        this.remotes.delete(channel.name);
      }
    }
  }

  /** Waits for `promise` unless a worker fails first (then rejects with WorkerFailedError). */
  guard<T>(promise: Promise<T>): Promise<T> {
    const failedFirst = promise.catch((error: unknown) => {
      // A call cut short by a worker's death says why the worker died.
      throw this.supervisor.failedWith ?? error;
    });
    return Promise.race([failedFirst, this.supervisor.failure]);
  }
}
