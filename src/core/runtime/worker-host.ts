import type { MessagePort } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ActorContext, AppDefinition } from '../../api/app.js';
import { RuntimeError } from '../../api/errors.js';
import { builtinActors } from './builtin-actors.js';
import { errorRecord, type ErrorRecord, type MainToWorker, type WorkerToMain } from './link.js';
import { expectLocal, localClient, publishLocal, withdrawLocal } from './local-actors.js';
import { connect, serve, type Remote } from './rpc.js';
import type { ActorDeclaration } from './topology.js';
import { workerLogger } from '../logging/worker-logger.js';
import { listenForSecrets } from '../output/secrets.js';

/** One end of a channel handed to an actor at start. */
export interface PortBinding {
  channel: string;
  kind: 'rpc' | 'log';
  role: 'client' | 'server';
  /** The actor at the other end. */
  peer: string;
  port: MessagePort;
}

/** A channel this actor calls directly: its server shares the thread. */
export interface DirectBinding {
  channel: string;
  peer: string;
}

/** Everything one actor receives when its worker starts (structured-cloneable, ports transferred). */
export interface WorkerInit {
  appModule: string;
  actor: ActorDeclaration;
  ports: PortBinding[];
  direct: DirectBinding[];
  /** This actor's own error link. */
  link: MessagePort;
  /** Its runtime's scope: direct calls reach only actors of the same runtime. */
  scope: string;
}

/** What a worker receives: the actors it hosts. */
export interface HostInit {
  worker: string;
  actors: WorkerInit[];
}

/** Posts a failure of the thread (an uncaught exception, an unhandled rejection) on the error link of each actor it hosts. */
export function postThreadFailure(actors: Iterable<WorkerInit>, kind: ErrorRecord['kind'], error: unknown): void {
  for (const init of actors) init.link.postMessage({ type: 'error', record: errorRecord(init.actor.name, kind, error) } satisfies WorkerToMain);
}

/**
 * Runs every actor of a worker. Each is expected in the thread's registry
 * first, so a co-hosted peer's direct call made during start waits for it.
 */
export async function hostWorker(init: HostInit): Promise<void> {
  for (const actor of init.actors) expectLocal({ scope: actor.scope, name: actor.actor.name });
  await Promise.all(init.actors.map((actor) => hostActor(actor)));
}

/** What an actor may implement beyond its public methods. */
interface Lifecycle {
  start?(): Promise<void> | void;
  /** Called when the worker is asked to stop; `close()` (a repository's) when there is no `stop()`. */
  stop?(): Promise<void> | void;
  close?(): Promise<void> | void;
  attachLogPort?(port: MessagePort, from: string): void;
}

/**
 * Runs one actor: builds it from the app module, serves its methods on the
 * channels it serves (and to the actors of its thread, directly), connects it
 * to the actors it calls, and answers the
 * main thread's link. Resolves once the main thread asked it to stop and it
 * has stopped. The same code runs on every backend.
 */
export async function hostActor(init: WorkerInit): Promise<void> {
  const { actor, link } = init;
  listenForSecrets();
  const self = { scope: init.scope, name: actor.name };
  const post = (message: WorkerToMain) => link.postMessage(message);
  const clients = new Map<string, Remote<unknown>>();
  const openPorts = new Set<MessagePort>([link]);
  let instance: (object & Lifecycle) | undefined;
  let logger: Logger | undefined;
  let stopAsked = false;

  const bind = (binding: PortBinding) => {
    openPorts.add(binding.port);
    if (binding.kind === 'log') {
      if (binding.role === 'client') logger = workerLogger(actor.name, binding.port);
      else instance?.attachLogPort?.(binding.port, binding.peer);
    } else if (binding.role === 'client') {
      const remote = connect(binding.port);
      clients.set(binding.channel, remote);
      clients.set(binding.peer, remote);
    } else if (instance) {
      serve(instance, binding.port);
    }
  };

  const stopped = new Promise<void>((resolve) => {
    link.on('message', (message: MainToWorker) => {
      if (message.type === 'rebind') {
        bind({ channel: message.channel, role: message.role, port: message.port, kind: message.kind, peer: peerOf(init, message.channel) });
        return;
      }
      stopAsked = true;
      withdrawLocal(self);
      void (async () => {
        try {
          await (instance?.stop ? instance.stop() : instance?.close?.());
        } catch (error) {
          post({ type: 'error', record: errorRecord(actor.name, 'exception', error) });
        }
        for (const port of openPorts) if (port !== link) port.close();
        post({ type: 'stopped' });
        link.close();
        resolve();
      })();
    });
  });

  try {
    for (const binding of init.ports) if (binding.role === 'client') bind(binding);
    for (const { channel, peer } of init.direct) {
      const local = localClient({ scope: init.scope, name: peer });
      clients.set(channel, local);
      clients.set(peer, local);
    }
    const ActorClass = await loadActorClass(init);
    const context: ActorContext = {
      name: actor.name,
      logger: logger ?? workerLogger(actor.name, undefined),
      peer<T>(name: string): Remote<T> {
        const remote = clients.get(name);
        if (!remote) throw new RuntimeError(`actor "${actor.name}" has no channel to "${name}"; declare it before start`);
        return remote as Remote<T>;
      },
    };
    instance = new ActorClass(actor.options, context) as object & Lifecycle;
    await instance.start?.();
    // Asked to stop while it started (a signal during a slow login): it has been stopped above; serving its
    // channels now would keep the thread alive until the main thread's grace ran out and it was terminated.
    if (stopAsked) return await stopped;
    for (const binding of init.ports) if (binding.role === 'server') bind(binding);
    publishLocal(self, instance);
  } catch (error) {
    withdrawLocal(self);
    post({ type: 'error', record: errorRecord(actor.name, 'start', error) });
    throw error;
  }
  post({ type: 'ready' });
  await stopped;
}

function peerOf(init: WorkerInit, channel: string): string {
  return init.ports.find((p) => p.channel === channel)?.peer ?? channel;
}

type ActorClass = new (options: unknown, context: ActorContext) => object;

async function loadActorClass(init: WorkerInit): Promise<ActorClass> {
  const builtin = builtinActors[init.actor.key];
  if (builtin) return (await builtin()) as ActorClass;
  const module = (await import(init.appModule)) as { default?: AppDefinition };
  const app = module.default;
  if (!app?.actors) throw new RuntimeError(`${init.appModule} has no default export made with defineApp()`);
  const found = app.actors[init.actor.key];
  if (!found) throw new RuntimeError(`app module ${init.appModule} has no actor class under the key "${init.actor.key}"`);
  return ('load' in found ? await found.load() : found) as ActorClass;
}
