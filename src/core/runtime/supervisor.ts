import { MessageChannel, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { RuntimeError } from '../../api/errors.js';
import type { StartWorker, WorkerHandle } from './backends/handle.js';
import { describeRecord, errorRecord, type ErrorRecord, type MainToWorker, type WorkerToMain } from './link.js';
import type { PortBinding, WorkerInit } from './worker-host.js';
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

interface Running {
  declaration: ActorDeclaration;
  start: StartWorker;
  handle: WorkerHandle;
  link: MessagePort;
  stopping: boolean;
  restarts: number;
}

const STOP_GRACE_MS = 5_000;

export class Supervisor {
  private readonly running = new Map<string, Running>();
  private rejectFailure!: (error: WorkerFailedError) => void;
  private failed: WorkerFailedError | undefined;
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

  /** Starts one actor; resolves when it is ready to serve. */
  async start(declaration: ActorDeclaration, start: StartWorker, restarts = 0): Promise<void> {
    if (this.failed) throw this.failed;
    const { port1: link, port2: workerLink } = new MessageChannel();
    const ports = this.bindings(declaration.name);
    const init: WorkerInit = { appModule: this.appModule, actor: declaration, ports, link: workerLink };
    const handle = start(init, [workerLink, ...ports.map((p) => p.port)]);
    const entry: Running = { declaration, start, handle, link, stopping: false, restarts };
    this.running.set(declaration.name, entry);

    const ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: WorkerToMain) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'error') {
          reject(new WorkerFailedError(message.record));
          this.report(entry, message.record);
        }
      };
      link.on('message', onMessage);
      void handle.done.then((exit) => {
        // The exit event can overtake the record the worker posted just before it went (Node 24 does):
        // read what is still queued on the link first, so the cause is reported rather than a bare exit.
        for (let queued = receiveMessageOnPort(link); queued; queued = receiveMessageOnPort(link)) onMessage(queued.message as WorkerToMain);
        link.close();
        if (entry.stopping) return;
        const record = exit.error
          ? errorRecord(declaration.name, 'exit', exit.error)
          : { worker: declaration.name, kind: 'exit' as const, name: 'WorkerExit', message: `exited unexpectedly with code ${exit.code}` };
        reject(new WorkerFailedError(record));
        this.report(entry, record);
      });
    });
    await Promise.race([ready, this.failure]);
  }

  /** Asks a worker to stop, waits for it, and ends it if it does not stop in time. */
  async stop(name: string): Promise<void> {
    const entry = this.running.get(name);
    if (!entry) return;
    entry.stopping = true;
    try {
      entry.link.postMessage({ type: 'stop' } satisfies MainToWorker);
    } catch {
      // The link is already closed: the worker is gone.
    }
    const stopped = await Promise.race([entry.handle.done.then(() => true), delay(STOP_GRACE_MS).then(() => false)]);
    if (!stopped) await entry.handle.terminate();
    this.running.delete(name);
  }

  async stopAll(order: string[]): Promise<void> {
    for (const name of order) await this.stop(name);
    await Promise.all([...this.running.keys()].map((name) => this.stop(name)));
  }

  /** Names of the workers still running. */
  get alive(): string[] {
    return [...this.running.keys()];
  }

  private report(entry: Running, record: ErrorRecord): void {
    if (entry.stopping || this.failed) return;
    entry.stopping = true;
    this.onRecord(record);
    const policy = this.policy;
    if (policy.kind === 'restart' && entry.restarts < policy.maxRestarts) {
      const wait = Math.min((policy.initialDelayMs ?? 100) * 2 ** entry.restarts, policy.maxDelayMs ?? 30_000);
      void (async () => {
        await entry.handle.terminate().catch(() => {});
        await delay(wait);
        if (this.failed) return;
        this.renewChannels(entry.declaration.name);
        await this.start(entry.declaration, entry.start, entry.restarts + 1).catch(() => {});
      })();
      return;
    }
    this.failed = new WorkerFailedError(record);
    this.rejectFailure(this.failed);
  }

  private bindings(actor: string): PortBinding[] {
    return this.topology.channelsOf(actor).map((channel) => {
      const role = channel.client === actor ? 'client' : 'server';
      return { channel: channel.name, kind: channel.kind, role, peer: role === 'client' ? channel.server : channel.client, port: channel.ports[role] };
    });
  }

  /** The restarted worker gets fresh channels; each live peer is handed its new end. */
  private renewChannels(actor: string): void {
    for (const old of this.topology.channelsOf(actor)) {
      const channel = this.topology.renew(old.name);
      const peerRole = channel.client === actor ? 'server' : 'client';
      const peer = peerRole === 'client' ? channel.client : channel.server;
      const port = channel.ports[peerRole];
      if (peer === MAIN) this.onMainRebind(channel.name, port);
      else {
        const message: MainToWorker = { type: 'rebind', channel: channel.name, kind: channel.kind, role: peerRole, port };
        this.running.get(peer)?.link.postMessage(message, [port]);
      }
    }
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
