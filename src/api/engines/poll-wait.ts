/**
 * Waits between polls that something else can cut short: an idle engine asks
 * the running folders for copies every few milliseconds, and must stop waiting
 * the moment the last of them ends, or every run would end up to one poll late.
 * A wait that is woken clears its timer, so no timer outlives the run.
 */
export class PollWait {
  private readonly waiting = new Set<() => void>();
  private wakes = 0;

  /** How many times wake() was called: pass it to wait() to miss none that came after. */
  get generation(): number {
    return this.wakes;
  }

  /**
   * Resolves after `ms`, or at the next wake(), whichever comes first; at
   * once when a wake came after `since` (a generation read before the caller
   * last looked, so a wake while it looked is not lost).
   */
  wait(ms: number, since = this.wakes): Promise<void> {
    if (since !== this.wakes) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiting.add(done);
    });
  }

  /** Ends every wait in progress. */
  wake(): void {
    this.wakes++;
    for (const done of [...this.waiting]) done();
  }
}
