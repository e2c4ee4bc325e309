// A stand-in for the watch daemon: records what the socket asked of it, and
// runs "passes" that end when the test says so.
import { emptyFolderReport, summarize, type PassSummary, type WatchControl, type WatchStatus } from '../../src/api/index.js';

export class FakeDaemon implements WatchControl {
  readonly calls: string[] = [];
  readonly syncRequests: (string[] | undefined)[] = [];
  paused = false;
  stopped = false;
  private ends: ((summary: PassSummary) => void)[] = [];

  constructor(
    readonly app = 'sync',
    readonly accounts = ['work'],
  ) {}

  status(): WatchStatus {
    this.calls.push('status');
    return {
      app: this.app,
      pid: process.pid,
      startedAt: '2026-11-26T08:00:00.000Z',
      paused: this.paused,
      accounts: this.accounts.map((account) => ({
        account,
        remote: `imaps://me@${account}.example`,
        maildir: `/home/me/Mail/${account}`,
        connection: 'backing-off',
        nextRetryAt: '2026-11-26T09:05:00.000Z',
        nextPassAt: '2026-11-26T09:10:00.000Z',
        lastPass: { at: '2026-11-26T09:00:00.000Z', seconds: 1.5, exitCode: 4, counts: { copied: 3, deleted: 1, flagsChanged: 2, moved: 0, foldersCreated: 0, foldersRemoved: 0, errors: 1 } },
        lastError: { at: '2026-11-26T09:00:01.000Z', code: 'ENETWORK', message: 'connection refused' },
        folders: [
          { name: 'INBOX', mode: 'idle', lastPass: { at: '2026-11-26T09:00:00.000Z', counts: { copied: 3, deleted: 0, flagsChanged: 0, moved: 0, foldersCreated: 0, foldersRemoved: 0, errors: 0 } } },
          { name: 'Archive', mode: 'poll', nextPollAt: '2026-11-26T09:05:00.000Z', lastError: { at: '2026-11-26T09:00:01.000Z', folder: 'Archive', code: 'ENETWORK', message: 'connection refused' } },
        ],
      })),
    };
  }

  /** A pass that ends when the test calls endPass(). */
  syncNow(folders?: string[]): Promise<PassSummary> {
    this.calls.push('sync');
    this.syncRequests.push(folders);
    return new Promise((resolve) => this.ends.push(resolve));
  }

  get passesRunning(): number {
    return this.ends.length;
  }

  /** Ends the oldest pass in progress with a summary of `copied` messages copied into INBOX. */
  endPass(copied: number, exitCode = 0): void {
    const inbox = { ...emptyFolderReport('INBOX', 'INBOX'), copied: { left: 0, right: copied }, bytes: 100 * copied };
    const summary = summarize([{ folders: [inbox], createdFolders: [], removedFolders: [], keptFolders: [], errors: [], skipped: [], seconds: 0.1 }], 0.1);
    this.ends.shift()!({ summary, exitCode });
  }

  pause(): void {
    this.calls.push('pause');
    this.paused = true;
  }

  resume(): void {
    this.calls.push('resume');
    this.paused = false;
  }

  async stop(): Promise<void> {
    this.calls.push('stop');
    this.stopped = true;
  }
}
