import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { RuntimeError } from '../../api/errors.js';
import type { StartWorker, WorkerHandle } from './backends/handle.js';
import { describeRecord, errorRecord, type ErrorRecord, type MainToWorker, type WorkerToMain } from './link.js';
import type { DirectBinding, PortBinding, WorkerInit } from './worker-host.js';
import { MAIN, type ActorDeclaration, type Topology } from './topology.js';

/**
 * What the supervisor does when a worker fails:
 * - 'stop-all': stop every worker cleanly and fail the app with the record;
 * - 'restart': start the failed worker again after a backoff that doubles
 *   each time, and fall back to 'stop-all' after `maxRestarts`.
 */
export type SupervisorPolicy =
  | { kind: 'stop-all' }
  | { kind: 'restart'; maxRestarts: number; initialDelayMs?: number; maxDelayMs?: number };

/** The app failed because a worker did: carries the worker's record. */
export class WorkerFailedError extends RuntimeError {
  constructor(readonly record: ErrorRecord) {
    super(describeRecord(record));
    if (record.code) (this as { code: string }).code = record.code;
  }
}

/** A running worker: the actors it hosts, each with its own error link. */
interface Running {
  name: string;
  actors: ActorDeclaration[];
  start: StartWorker;
  handle: WorkerHandle;
  links: Map<string, MessagePort>;
  /** Resolves when the actor has stopped (or its worker ended). */
  stopped: Map<string, Promise<void>>;
  /** Actors asked to stop; once all are, the worker's end is expected. */
  asked: Set<string>;
  stopping: boolean;
  /** The records of a failure, one per hosted actor that posted one. */
  records: ErrorRecord[];
  restarts: number;
}

const STOP_GRACE_MS = 5_000;
/** Supervisors made in this process: each runtime's actors get their own scope for direct calls. */
let supervisors = 0;
/**
 * How long a failed worker gets to end on its own before it is terminated: a
 * worker that fails posts a record on each hosted actor's link and then
 * exits, and terminating it at the first record would cut off the others.
 */
const FAILED_GRACE_MS = 1_000;

/**
 * Starts, stops and restarts workers. The unit is the worker: a worker hosts
 * one or more actors (the topology's placement), each with its own error
 * link; a failure of any of them is the worker's, and the restart policy
 * restarts the worker with all its actors.
 */
export class Supervisor {
  private readonly running = new Map<string, Running>();
  private readonly starting = new Map<string, Promise<void>>();
  private readonly scope = String(++supervisors);
  private rejectFailure!: (error: WorkerFailedError) => void;
  private failed: WorkerFailedError | undefined;
  /** Set by refuseStarts(): the runtime is stopping. */
  private refusing = false;
  /** Rejects with the first failure the policy does not absorb; never resolves. */
  readonly failure: Promise<never>;
  /** Called for every record, absorbed or not (the app logs them). */
  onRecord: (record: ErrorRecord) => void = () => {};
  /** Called when a peer of the main thread restarted: main's new end of `channel`. */
  onMainRebind: (channel: string, port: MessagePort) => void = () => {};

  constructor(
    private readonly topology: Topology,
    /** Module every worker imports to find the app's actor classes. */
    private readonly appModule: string,
    private readonly policy: SupervisorPolicy = { kind: 'stop-all' },
  ) {
    this.failure = new Promise<never>((_, reject) => {
      this.rejectFailure = reject;
    });
    this.failure.catch(() => {});
  }

  get failedWith(): WorkerFailedError | undefined {
    return this.failed;
  }

  /** Starts the worker `worker` with every actor it hosts, once however often asked; resolves when all are ready to serve. */
  startWorker(worker: string, start: StartWorker): Promise<void> {
    let starting = this.starting.get(worker);
    if (!starting) {
      starting = this.launch(worker, this.topology.actorsOn(worker), start);
      this.starting.set(worker, starting);
    }
    return starting;
  }

  /**
   * No worker starts from now on: a start still on its way (its backend
   * being imported) when the runtime stops would launch a worker after every
   * stop was asked, with channel ports the stop has closed.
   */
  refuseStarts(): void {
    this.refusing = true;
  }

  private async launch(worker: string, actors: ActorDeclaration[], start: StartWorker, restarts = 0): Promise<void> {
    if (this.failed) throw this.failed;
    if (this.refusing) throw new RuntimeError(`worker "${worker}" was not started: the runtime is stopping`);
    const links = new Map<string, MessagePort>();
    const inits: WorkerInit[] = [];
    const transfer: MessagePort[] = [];
    for (const declaration of actors) {
      const { port1: link, port2: workerLink } = new MessageChannel();
      links.set(declaration.name, link);
      const { ports, direct } = this.bindings(declaration.name);
      inits.push({ appModule: this.appModule, actor: declaration, ports, direct, link: workerLink, scope: this.scope });
      transfer.push(workerLink, ...ports.map((p) => p.port));
    }
    const handle = start({ worker, actors: inits }, transfer);
    const entry: Running = { name: worker, actors, start, handle, links, stopped: new Map(), asked: new Set(), stopping: false, records: [], restarts };
    this.running.set(worker, entry);

    const ready = new Promise<void>((resolve, reject) => {
      const waiting = new Set(links.keys());
      const onMessage = (actor: string, message: WorkerToMain) => {
        if (message.type === 'ready') {
          waiting.delete(actor);
          if (waiting.size === 0) resolve();
        } else if (message.type === 'error') {
          if (!entry.records.some((r) => r.worker === actor)) entry.records.push(message.record);
          reject(new WorkerFailedError(message.record));
          this.report(entry);
        }
      };
      for (const [actor, link] of links) {
        entry.stopped.set(
          actor,
          new Promise<void>((stopped) => {
            link.on('message', (message: WorkerToMain) => {
              if (message.type === 'stopped') stopped();
              onMessage(actor, message);
            });
            link.once('close', () => stopped());
          }),
        );
      }
      void handle.done.then((exit) => {
        // The exit event can overtake the records the worker posted just before it went (Node 24 does):
        // read what is still queued on the links first, so the cause is reported rather than a bare exit.
        for (const [actor, link] of links) {
          for (let queued = receiveMessageOnPort(link); queued; queued = receiveMessageOnPort(link)) onMessage(actor, queued.message as WorkerToMain);
          link.close();
        }
        if (entry.stopping) return;
        // While the runtime stops, a worker that ends before it was ready and without a word ended because of
        // the stop (a pool task that waited for a thread gets the ports of peers the stop has ended): no failure.
        if (this.refusing && waiting.size > 0 && entry.records.length === 0) {
          reject(new RuntimeError(`worker "${worker}" ended before it was ready: the runtime is stopping`));
          return;
        }
        if (entry.records.length === 0) {
          for (const { name } of actors) {
            entry.records.push(
              exit.error
                ? errorRecord(name, 'exit', exit.error)
                : { worker: name, kind: 'exit' as const, name: 'WorkerExit', message: `exited unexpectedly with code ${exit.code}` },
            );
          }
        }
        reject(new WorkerFailedError(entry.records[0]!));
        this.report(entry);
      });
    });
    await Promise.race([ready, this.failure]);
  }

  /**
   * Asks an actor to stop and waits for it. Once every actor of its worker
   * has stopped, waits for the worker to end, and ends it if it does not in
   * time (an actor that does not stop in time ends its whole worker).
   */
  async stop(actor: string): Promise<void> {
    const worker = this.topology.workerOf(actor);
    const entry = this.running.get(worker);
    if (!entry) return;
    entry.asked.add(actor);
    if (entry.asked.size === entry.actors.length) entry.stopping = true;
    try {
      entry.links.get(actor)?.postMessage({ type: 'stop' } satisfies MainToWorker);
    } catch {
      // The link is already closed: the worker is gone.
    }
    const stopped = await Promise.race([entry.stopped.get(actor)!.then(() => true), entry.handle.done.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
    if (stopped && !entry.stopping) return;
    entry.stopping = true;
    const ended = stopped && (await Promise.race([entry.handle.done.then(() => true), delay(STOP_GRACE_MS).then(() => false)]));
    if (!ended) await entry.handle.terminate();
    if (this.running.get(worker) === entry) {
      this.running.delete(worker);
      this.starting.delete(worker);
    }
  }

  /** Names of the workers still running. */
  get alive(): string[] {
    return [...this.running.keys()];
  }

  /**
   * A hosted actor failed, or the worker ended: once the worker has ended
   * (on its own after posting its records, or terminated after a grace),
   * every record its actors posted is reported, then the policy decides.
   */
  private report(entry: Running): void {
    if (entry.stopping || this.failed) return;
    entry.stopping = true;
    void (async () => {
      const ended = await Promise.race([entry.handle.done.then(() => true), delay(FAILED_GRACE_MS).then(() => false)]);
      if (!ended) await entry.handle.terminate().catch(() => {});
      for (const record of entry.records) this.onRecord(record);
      const record = entry.records[0]!;
      const policy = this.policy;
      if (policy.kind === 'restart' && entry.restarts < policy.maxRestarts && !this.failed) {
        const wait = Math.min((policy.initialDelayMs ?? 100) * 2 ** entry.restarts, policy.maxDelayMs ?? 30_000);
        await delay(wait);
        // Stopped meanwhile (the app is ending), or failed for another reason.
        if (this.failed || this.running.get(entry.name) !== entry) return;
        this.renewChannels(entry.name);
        await this.launch(entry.name, entry.actors, entry.start, entry.restarts + 1).catch(() => {});
        return;
      }
      if (this.failed) return;
      this.failed = new WorkerFailedError(record);
      this.rejectFailure(this.failed);
    })();
  }

  /** An actor's ends of its channels over ports, and the channels it calls directly. */
  private bindings(actor: string): { ports: PortBinding[]; direct: DirectBinding[] } {
    const ports: PortBinding[] = [];
    const direct: DirectBinding[] = [];
    for (const channel of this.topology.channelsOf(actor)) {
      const role = channel.client === actor ? 'client' : 'server';
      const peer = role === 'client' ? channel.server : channel.client;
      if (this.topology.isDirect(channel)) {
        if (role === 'client') direct.push({ channel: channel.name, peer });
      } else {
        ports.push({ channel: channel.name, kind: channel.kind, role, peer, port: channel.ports[role] });
      }
    }
    return { ports, direct };
  }

  /**
   * The restarted worker gets fresh channels: both ends of those inside it,
   * and each live peer outside it is handed its new end. Direct channels
   * have no ports to renew.
   */
  private renewChannels(worker: string): void {
    const inside = (actor: string) => actor !== MAIN && this.topology.workerOf(actor) === worker;
    const seen = new Set<string>();
    for (const hosted of this.topology.actorsOn(worker)) {
      for (const old of this.topology.channelsOf(hosted.name)) {
        if (seen.has(old.name) || this.topology.isDirect(old)) continue;
        seen.add(old.name);
        const channel = this.topology.renew(old.name);
        for (const peerRole of ['client', 'server'] as const) {
          const peer = channel[peerRole];
          if (inside(peer)) continue;
          const port = channel.ports[peerRole];
          if (peer === MAIN) this.onMainRebind(channel.name, port);
          else {
            const message: MainToWorker = { type: 'rebind', channel: channel.name, kind: channel.kind, role: peerRole, port };
            this.running.get(this.topology.workerOf(peer))?.links.get(peer)?.postMessage(message, [port]);
          }
        }
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
