import type { ImapFlow, StatusObject } from 'imapflow';
import type picomatch from 'picomatch';
import { requireOnUse } from '../../core/require-on-use.js';
import type { ActorContext } from '../app.js';
import type { FolderWatchMode } from '../watch/types.js';
import { ImapRepository, type ImapRepositoryOptions } from './imap.js';

/** What a daemon asks the server watcher (see ImapWatch.changes). */
export interface ServerWatchRequest {
  /** Globs of folders to IDLE on when the server offers no NOTIFY; the first folder listed that matches is watched (default INBOX). */
  idle: string[];
  /** Come back after this long at the latest, changes or not (keep it under RFC 2177's 29 minutes). */
  waitMs: number;
  /** Compare the other folders' STATUS with the last look when this long has passed since it. */
  pollMs: number;
}

export interface ServerChanges {
  /** Folders (names as listFolders gives them) that changed, appeared or went away since the last look. */
  folders: string[];
  /** How each folder listed is watched now. */
  modes: Record<string, FolderWatchMode>;
  /** When (ms since the epoch) the other folders are checked next; absent under NOTIFY (the server tells). */
  nextPollAt?: number;
}

/** RFC 2177: a client should re-issue IDLE at least every 29 minutes. */
export const MAX_IDLE_MS = 25 * 60_000;

/**
 * After the first event, how long to go on listening for the rest of a burst
 * (a delivery of several messages). Short: it adds to every push's latency,
 * and a burst cut in two costs only a second small pass (Dovecot already
 * sends its notifications about 0.5 s after a change, bundled: measured).
 */
const BURST_MS = 50;

interface ClientInternals {
  exec(command: string, attributes: unknown[]): Promise<{ next(): void }>;
  untaggedHandlers: Record<string, ((untagged: unknown) => Promise<void> | void) | null | undefined>;
}

const atom = (value: string) => ({ type: 'ATOM', value });
const EVENTS = ['MessageNew', 'MessageExpunge', 'FlagChange'].map(atom);

/**
 * Hears about changes on an IMAP server, on its own connection, for a daemon
 * (`--watch`): with NOTIFY (RFC 5465) when the server offers it, every
 * folder on that one connection; otherwise IDLE on one folder and a STATUS
 * of the others (LIST-STATUS when offered: one command) every `pollMs`.
 *
 * An event only says "look": which folders changed is always found by
 * comparing each folder's STATUS (UIDVALIDITY, UIDNEXT, MESSAGES,
 * HIGHESTMODSEQ) with the last look, so a folder that did not change is
 * never selected nor synced. Read-only: it never writes to the server.
 */
export class ImapWatch extends ImapRepository {
  /** Each folder's STATUS at the last look; undefined before the first. */
  private seen: Map<string, string> | undefined;
  private lastPoll = 0;
  /** The connection that was given NOTIFY SET and the listeners: a new connection needs them again. */
  private prepared: ImapFlow | undefined;
  private heard: (() => void) | undefined;
  private interrupted = false;

  constructor(options: ImapRepositoryOptions, context?: Pick<ActorContext, 'logger'>) {
    super({ ...options, readOnly: true }, context);
  }

  /**
   * Waits until the server reports a change (or `request.waitMs` passes, or
   * the poll is due), then returns the folders that changed since the last
   * call. The first call only takes the first look. Connection failures
   * throw typed errors (NetworkError, AuthError), as every repository call.
   */
  async changes(request: ServerWatchRequest): Promise<ServerChanges> {
    this.interrupted = false;
    const first = this.seen === undefined;
    const { notify, watched, changed } = await this.run('watch', undefined, (client) => this.look(client, request.idle, first));
    let folders = changed;
    if (!first && folders.length === 0) {
      const untilPoll = notify ? Infinity : this.lastPoll + request.pollMs - Date.now();
      const waitMs = Math.max(0, Math.min(request.waitMs, untilPoll, MAX_IDLE_MS));
      const woken = await this.run('idle', watched, (client) => this.idle(client, waitMs), true);
      const pollDue = !notify && Date.now() >= this.lastPoll + request.pollMs;
      if (this.interrupted) folders = [];
      else if (notify ? woken : pollDue) folders = (await this.run('watch', undefined, (client) => this.look(client, request.idle, false))).changed;
      else if (woken) folders = [watched];
    }
    const modes = Object.fromEntries([...this.seen!.keys()].map((name) => [name, notify ? 'notify' : name === watched ? 'idle' : 'poll'] as const));
    return { folders, modes, ...(notify ? {} : { nextPollAt: this.lastPoll + request.pollMs }) };
  }

  /** Ends a wait in progress at once (the daemon wants a pass, or is stopping). */
  async interrupt(): Promise<void> {
    this.interrupted = true;
    this.heard?.();
  }

  /** Ends a wait in progress, then logs out (when the actor stops). */
  override async close(): Promise<void> {
    await this.interrupt();
    await super.close();
  }

  /** Drops the connection (a resume from sleep: the socket is likely dead though it does not know yet); the next call reconnects. */
  async reconnect(): Promise<void> {
    this.interrupted = true;
    this.heard?.();
    this.prepared?.close();
  }

  /**
   * Lists the folders with their STATUS, compares with the last look, and
   * makes the connection ready to wait: NOTIFY SET when offered, the
   * watched folder selected (EXAMINE), listeners attached.
   */
  private async look(client: ImapFlow, idleGlobs: string[], first: boolean): Promise<{ notify: boolean; watched: string; changed: string[] }> {
    const notify = client.capabilities.has('NOTIFY');
    const listed = await this.listedFolders(client, { messages: true, uidNext: true, uidValidity: true, highestModseq: true });
    const now = new Map(listed.filter(({ folder }) => folder.skipped === undefined && !folder.noSelect).map(({ folder, status }) => [folder.name, stamp(status)]));
    const before = this.seen;
    this.seen = now;
    this.lastPoll = Date.now();
    const changed = first || !before ? [] : [...new Set([...now.keys(), ...before.keys()])].filter((name) => now.get(name) !== before.get(name)).sort();
    const isIdle = (requireOnUse('picomatch') as typeof picomatch)(idleGlobs.length ? idleGlobs : ['INBOX']);
    const watched = [...now.keys()].find((name) => isIdle(name)) ?? 'INBOX';
    if (this.prepared !== client) {
      this.listen(client);
      if (notify) await this.notifySet(client);
      this.prepared = client;
    }
    await this.select(client, watched);
    return { notify, watched, changed };
  }

  /** NOTIFY SET: new, expunged and flag-changed messages of the selected folder and of every personal folder, and folder names. */
  private async notifySet(client: ImapFlow): Promise<void> {
    const internals = client as unknown as ClientInternals;
    const response = await internals.exec('NOTIFY', [atom('SET'), [atom('selected'), EVENTS], [atom('personal'), [...EVENTS, atom('MailboxName')]]]);
    response.next();
  }

  /** Every sign of a change wakes the wait in progress: the selected folder's events, and NOTIFY's STATUS and LIST lines. */
  private listen(client: ImapFlow): void {
    const wake = () => this.heard?.();
    for (const event of ['exists', 'expunge', 'flags'] as const) client.on(event, wake);
    const internals = client as unknown as ClientInternals;
    internals.untaggedHandlers.STATUS = wake;
    internals.untaggedHandlers.LIST = wake;
  }

  /** IDLE until something is heard (and the rest of its burst) or `waitMs` passes; true when something was heard. */
  private async idle(client: ImapFlow, waitMs: number): Promise<boolean> {
    let heard = false;
    let timer: NodeJS.Timeout | undefined;
    const woken = new Promise<void>((resolve) => {
      this.heard = () => {
        heard = true;
        clearTimeout(timer);
        timer = setTimeout(resolve, BURST_MS);
      };
      timer = setTimeout(resolve, waitMs);
    });
    const closed = new Promise<void>((resolve) => client.once('close', resolve));
    // What arrived between two calls is delivered by the first command: NOOP flushes it before IDLE starts.
    if (!this.interrupted) await client.noop();
    // A server that refuses IDLE (imapflow then returns at once) is simply waited on until the timer.
    const idling = this.interrupted || heard ? Promise.resolve() : client.idle();
    // A connection lost meanwhile rejects it while the NOOP below throws first: it must not reject unhandled,
    // which would fail every actor of this thread (awaited below, it still throws when the NOOP does not).
    idling.catch(() => undefined);
    await Promise.race([woken, closed]);
    this.heard = undefined;
    clearTimeout(timer);
    // Any command ends IDLE (imapflow sends DONE first); a lost connection throws here, typed by run().
    await client.noop();
    await idling;
    return heard;
  }
}

/** A folder's STATUS as one comparable string: any change of it means the folder changed. */
function stamp(status: StatusObject | undefined): string {
  if (!status) return '';
  return [status.uidValidity, status.uidNext, status.messages, status.highestModseq].map((value) => (value === undefined ? '' : String(value))).join('/');
}
