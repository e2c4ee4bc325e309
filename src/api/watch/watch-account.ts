import type { Logger } from 'pino';
import type { AccountReport } from '../engines/sync-account.js';
import { failedAccountReport, reportError, type ReportedError } from '../engines/folder-report.js';
import type { ServerChanges, ServerWatchRequest } from '../repositories/imap-watch.js';
import { exitCodeOf, summarize } from '../summary.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { RESUME_GAP_MS, ResumeDetector, systemClock, type Clock } from './clock.js';
import type { AccountWatchStatus, ConnectionState, FolderWatchStatus, LastPass, PassCounts } from './types.js';

/** RFC 2177: IDLE is re-issued well before the 29-minute mark; also the longest any wait lasts. */
const LONGEST_WAIT_MS = 25 * 60_000;

/** The server side of a watched account: ImapWatch, or anything that answers the same. */
export interface ServerWatcher {
  changes(request: ServerWatchRequest): Promise<ServerChanges>;
  interrupt(): Promise<void>;
  reconnect(): Promise<void>;
}

/** The local side (a MaildirRepository): the folders changed since the last call, waiting up to `waitMs`. */
export interface LocalWatcher {
  changes(waitMs: number): Promise<string[]>;
  interruptChanges(): Promise<void>;
}

/** A pass of one account, as a watch hands it to `onPass`. */
export interface AccountPass {
  account: string;
  /** The folders the pass was limited to; undefined for a pass over every folder. */
  folders?: string[];
  report: AccountReport;
  counts: PassCounts;
  /** True when the pass changed something on either side. */
  changed: boolean;
  exitCode: number;
}

export interface WatchAccountOptions {
  /** The account's name (its state database), server and Maildir: for status and logs. */
  account: string;
  remote: string;
  maildir: string;
  /** Runs one pass (SyncAccount.run): over `only` those folders when given, else over every folder. */
  pass(only?: string[]): Promise<AccountReport>;
  /** Winds the pass in progress down for stop() (SyncAccount.interrupt): its batches in flight finish, nothing more starts. */
  interruptPass?(): Promise<void>;
  /** Hears the server's changes; without it, the server is only checked by the periodic pass. */
  server?: ServerWatcher;
  /** Hears the Maildir's changes (two-way sync); without it, local changes wait for the periodic pass. */
  local?: LocalWatcher;
  /** Folders IDLEd on when the server has no NOTIFY (default INBOX). */
  idle?: string[];
  /** How often the folders not pushed are checked (default 5 min). */
  intervalMs?: number;
  /** How often a pass over every folder runs anyway, the safety net (default 6 intervals). */
  fullPassMs?: number;
  backoff?: BackoffOptions;
  clock?: Clock;
  logger?: Logger;
  /** Called after every pass (its failure is logged, never fatal). */
  onPass?(pass: AccountPass): void | Promise<void>;
}

interface Request {
  folders?: string[];
  resolve(report: AccountReport): void;
}

/**
 * The watch loop of one account (DESIGN §6), on the thread that steers the
 * app: a first pass over every folder, then a pass over the folders the
 * server or the Maildir reports changed, as soon as they do; a pass over
 * everything every `fullPassMs`. Offline (the server refused or dropped the
 * connection, the login was refused) it retries with backoff (10 s to
 * 5 min, jitter; the longest after a refused login) and resyncs everything
 * once back; a resume from sleep (the clocks part, or a wait that came back
 * far later than asked) reconnects and resyncs at once. Nothing it meets
 * ends it: only stop() does.
 */
export class WatchAccount {
  private readonly clock: Clock;
  private readonly backoff: Backoff;
  private readonly intervalMs: number;
  private readonly fullPassMs: number;
  private readonly resume: ResumeDetector;
  private readonly dirty = new Set<string>();
  /** The next pass covers every folder. */
  private everything = true;
  private readonly requests: Request[] = [];
  private paused = false;
  private stopped = false;
  private connection: ConnectionState = 'starting';
  /** Monotonic time of the next attempt while offline; of the next full pass. */
  private retryDue = 0;
  private fullPassDue = 0;
  private lastPass: LastPass | undefined;
  private lastError: (ReportedError & { at: string }) | undefined;
  private readonly folders = new Map<string, FolderWatchStatus>();
  private nextPollAt: number | undefined;
  private wakePasses: (() => void) | undefined;
  private wakeOnline: (() => void) | undefined;
  private running: Promise<unknown> | undefined;
  /** The server watcher was told to drop its connection: the failure that follows is expected, not a sign of being offline. */
  private reconnecting = false;

  constructor(private readonly options: WatchAccountOptions) {
    this.clock = options.clock ?? systemClock;
    this.backoff = new Backoff(options.backoff);
    this.intervalMs = options.intervalMs ?? 5 * 60_000;
    this.fullPassMs = options.fullPassMs ?? 6 * this.intervalMs;
    this.resume = new ResumeDetector(this.clock, (gap) => this.resumed(`the clocks parted by ${Math.round(gap / 1000)} s (a resume from sleep)`));
  }

  start(): void {
    if (this.running) return;
    this.resume.start();
    // Only the passes are waited for on stop: a wait for the server or the Maildir has nothing to finish.
    this.running = this.passes();
    void this.serverChanges();
    void this.localChanges();
  }

  /** Runs a pass now (over `folders` only, when given), even while paused or offline; resolves with its report. */
  syncNow(folders?: string[]): Promise<AccountReport> {
    if (this.stopped) return Promise.resolve(failedAccountReport(new Error('the daemon is stopping'), `${this.options.remote}: `));
    return new Promise((resolve) => {
      this.requests.push({ ...(folders ? { folders } : {}), resolve });
      this.wakePasses?.();
    });
  }

  pause(): void {
    this.paused = true;
  }

  resumePasses(): void {
    this.paused = false;
    this.wakePasses?.();
  }

  /** Winds the pass in progress down (its batches in flight finish), starts no other, ends the waits; resolves once the loops ended. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.resume.stop();
    this.wakePasses?.();
    this.wakeOnline?.();
    await Promise.all([
      this.options.interruptPass?.().catch(() => undefined),
      this.options.server?.interrupt().catch(() => undefined),
      this.options.local?.interruptChanges().catch(() => undefined),
    ]);
    await this.running;
    for (const request of this.requests.splice(0)) request.resolve(failedAccountReport(new Error('the daemon stopped before this pass could run'), `${this.options.remote}: `));
  }

  status(): AccountWatchStatus {
    const iso = (monotonic: number) => new Date(this.clock.wall() + Math.max(0, monotonic - this.clock.monotonic())).toISOString();
    const offline = this.connection === 'backing-off' || this.connection === 'login-refused';
    return {
      account: this.options.account,
      remote: this.options.remote,
      maildir: this.options.maildir,
      connection: this.connection,
      ...(offline ? { nextRetryAt: iso(this.retryDue) } : {}),
      ...(this.lastPass ? { nextPassAt: iso(this.fullPassDue) } : {}),
      ...(this.lastPass ? { lastPass: this.lastPass } : {}),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      folders: [...this.folders.values()].map((folder) => ({
        ...folder,
        ...(folder.mode === 'poll' && this.nextPollAt !== undefined ? { nextPollAt: new Date(this.nextPollAt).toISOString() } : {}),
      })),
    };
  }

  /** A resume from sleep: the connections are likely dead though they do not know it yet. Reconnect and resync now. */
  resumed(why: string): void {
    if (this.stopped) return;
    this.options.logger?.info({ account: this.options.account }, `${why}: reconnecting and syncing every folder`);
    this.everything = true;
    this.retryDue = this.clock.monotonic();
    this.reconnecting = this.options.server !== undefined;
    void this.options.server?.reconnect().catch(() => undefined);
    this.wakePasses?.();
  }

  // ---- The pass loop -------------------------------------------------------

  private async passes(): Promise<void> {
    while (!this.stopped) {
      const now = this.clock.monotonic();
      const requests = this.requests.splice(0);
      if (requests.length === 0 && !this.due(now)) {
        await this.sleep(this.nextDue(now));
        continue;
      }
      const full = this.everything || now >= this.fullPassDue || requests.some((request) => !request.folders);
      const only = full ? undefined : [...new Set([...this.dirty, ...requests.flatMap((request) => request.folders ?? [])])].sort();
      this.everything = false;
      this.dirty.clear();
      const report = await this.pass(only);
      for (const request of requests) request.resolve(report);
    }
  }

  /** Whether a pass should run now (requests aside). */
  private due(now: number): boolean {
    if (this.paused) return false;
    if (now >= this.fullPassDue) return this.mayConnect(now);
    return (this.everything || this.dirty.size > 0) && this.mayConnect(now);
  }

  /** Online, or offline with the next attempt due. */
  private mayConnect(now: number): boolean {
    return (this.connection !== 'backing-off' && this.connection !== 'login-refused') || now >= this.retryDue;
  }

  private nextDue(now: number): number {
    const offline = this.connection === 'backing-off' || this.connection === 'login-refused';
    const next = Math.min(this.fullPassDue, offline && (this.everything || this.dirty.size > 0) ? this.retryDue : Infinity);
    return Math.min(LONGEST_WAIT_MS, Math.max(0, next - now));
  }

  /** Waits `ms` (monotonic) or until woken. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const cancel = this.clock.setTimer(() => done(), ms);
      const done = () => {
        cancel();
        this.wakePasses = undefined;
        resolve();
      };
      this.wakePasses = done;
    });
  }

  private async pass(only?: string[]): Promise<AccountReport> {
    let report: AccountReport;
    try {
      report = await this.options.pass(only);
    } catch (error) {
      report = failedAccountReport(error, `${this.options.remote}: `);
    }
    const now = this.clock.monotonic();
    const at = new Date(this.clock.wall()).toISOString();
    const summary = summarize([report], report.seconds);
    const exitCode = exitCodeOf(summary);
    const errors = [...report.errors, ...report.folders.flatMap((folder) => folder.errors)];
    const failure = report.folders.length === 0 ? report.errors[0] : errors.find((error) => OFFLINE_CODES.has(error.code ?? ''));
    if (errors.length) this.lastError = { ...errors[0]!, at };
    if (this.stopped) return report;
    if (failure) this.offline(failure, now);
    else this.backOnline(now);
    if (!only) this.fullPassDue = now + this.fullPassMs;
    const counts: PassCounts = {
      copied: summary.copied,
      deleted: summary.deleted,
      flagsChanged: summary.flagsChanged,
      moved: summary.moved ?? 0,
      foldersCreated: summary.foldersCreated,
      foldersRemoved: summary.foldersRemoved,
      errors: summary.errors.length,
    };
    this.lastPass = { at, seconds: report.seconds, counts, exitCode };
    for (const folder of report.folders) {
      const entry = this.folders.get(folder.left) ?? { name: folder.left, mode: 'poll' as const };
      const folderCounts: PassCounts = {
        copied: folder.copied.left + folder.copied.right,
        deleted: folder.deleted.left + folder.deleted.right,
        flagsChanged: folder.flagsChanged.left + folder.flagsChanged.right,
        moved: 0,
        foldersCreated: 0,
        foldersRemoved: 0,
        errors: folder.errors.length,
      };
      this.folders.set(folder.left, { ...entry, lastPass: { at, counts: folderCounts }, ...(folder.errors[0] ? { lastError: { ...folder.errors[0], at } } : {}) });
    }
    const changed = counts.copied + counts.deleted + counts.flagsChanged + counts.moved + counts.foldersCreated + counts.foldersRemoved > 0;
    if (changed) {
      const folders = report.folders.filter((folder) => !folder.unchanged && (folder.copied.left + folder.copied.right + folder.deleted.left + folder.deleted.right + folder.flagsChanged.left + folder.flagsChanged.right > 0));
      this.options.logger?.info(
        { account: this.options.account, folders: folders.map((folder) => folder.left), ...counts },
        `${this.options.account}: ${describeCounts(counts)} in ${folders.map((folder) => folder.left).join(', ') || 'folders'}`,
      );
    }
    try {
      await this.options.onPass?.({ account: this.options.account, ...(only ? { folders: only } : {}), report, counts, changed, exitCode });
    } catch (error) {
      this.options.logger?.warn({ err: error, account: this.options.account }, `${this.options.account}: after the pass: ${reportError(error).message}`);
    }
    return report;
  }

  /** The server could not be used: wait (backoff; the longest after a refused login), then a pass over everything. */
  private offline(failure: ReportedError, now: number): void {
    const refused = failure.code === 'EAUTH';
    const wait = refused ? this.backoff.longest() : this.backoff.next();
    const was = this.connection;
    this.connection = refused ? 'login-refused' : 'backing-off';
    this.retryDue = now + wait;
    this.everything = true;
    const level = refused ? 'error' : was === 'connected' || was === 'starting' ? 'warn' : 'info';
    this.options.logger?.[level]({ account: this.options.account, code: failure.code, retryInSeconds: Math.round(wait / 1000) }, `${this.options.account}: ${failure.message}; trying again in ${Math.round(wait / 1000)} s`);
  }

  private backOnline(now: number): void {
    const was = this.connection;
    this.connection = 'connected';
    this.backoff.reset();
    this.retryDue = now;
    if (was === 'backing-off' || was === 'login-refused') this.options.logger?.info({ account: this.options.account }, `${this.options.account}: connected again`);
    this.wakeOnline?.();
  }

  // ---- What the sides report -------------------------------------------------

  /** Hears the server while online; a failure makes the account go offline (the pass loop then retries). */
  private async serverChanges(): Promise<void> {
    const server = this.options.server;
    if (!server) return;
    while (!this.stopped) {
      if (this.connection === 'backing-off' || this.connection === 'login-refused') {
        await new Promise<void>((resolve) => (this.wakeOnline = resolve));
        this.wakeOnline = undefined;
        continue;
      }
      const waitMs = Math.min(this.intervalMs, LONGEST_WAIT_MS);
      const askedAt = this.clock.wall();
      this.reconnecting = false;
      try {
        const changes = await server.changes({ idle: this.options.idle ?? ['INBOX'], waitMs, pollMs: this.intervalMs });
        if (this.stopped) break;
        this.heard(changes);
        // A wait that came back far later than it could have: the machine slept through it.
        if (this.clock.wall() - askedAt > waitMs + RESUME_GAP_MS) this.resumed('a wait for the server came back far past its time (a resume from sleep)');
      } catch (error) {
        if (this.stopped) break;
        if (this.reconnecting) {
          this.reconnecting = false;
          continue;
        }
        const failure = reportError(error);
        this.lastError = { ...failure, at: new Date(this.clock.wall()).toISOString() };
        if (OFFLINE_CODES.has(failure.code ?? '') || this.connection === 'starting') this.offline(failure, this.clock.monotonic());
        else {
          // Not the network: a pass over everything meanwhile, and a pause before listening again.
          this.options.logger?.warn({ err: error, account: this.options.account }, `${this.options.account}: listening to the server failed: ${failure.message}`);
          this.everything = true;
          await new Promise<void>((resolve) => this.clock.setTimer(resolve, this.backoff.next()));
        }
        this.wakePasses?.();
      }
    }
  }

  private heard(changes: ServerChanges): void {
    for (const [name, mode] of Object.entries(changes.modes)) {
      const entry = this.folders.get(name);
      this.folders.set(name, { ...(entry ?? { name }), mode });
    }
    this.nextPollAt = changes.nextPollAt;
    if (changes.folders.length === 0) return;
    for (const folder of changes.folders) this.dirty.add(folder);
    this.wakePasses?.();
  }

  /** Hears the Maildir, online or not: what changed offline is pushed by the first pass back online. */
  private async localChanges(): Promise<void> {
    const local = this.options.local;
    if (!local) return;
    while (!this.stopped) {
      try {
        const folders = await local.changes(LONGEST_WAIT_MS);
        for (const folder of folders) this.dirty.add(folder);
        if (folders.length) this.wakePasses?.();
      } catch (error) {
        if (this.stopped) break;
        this.options.logger?.warn({ err: error, account: this.options.account }, `${this.options.account}: watching the Maildir failed: ${reportError(error).message}`);
        this.everything = true;
        await new Promise<void>((resolve) => this.clock.setTimer(resolve, this.intervalMs));
      }
    }
  }
}

/** Failures that say the server cannot be used now (rather than one folder failing): the account backs off. */
const OFFLINE_CODES = new Set(['ENETWORK', 'EAUTH', 'ESTATELOCKED']);

function describeCounts(counts: PassCounts): string {
  const parts = [
    [counts.copied, 'copied'],
    [counts.deleted, 'deleted'],
    [counts.flagsChanged, 'flags changed'],
    [counts.moved, 'moved'],
    [counts.foldersCreated, 'folders created'],
    [counts.foldersRemoved, 'folders removed'],
  ] as const;
  return parts
    .filter(([n]) => n > 0)
    .map(([n, what]) => `${n} ${what}`)
    .join(', ');
}
