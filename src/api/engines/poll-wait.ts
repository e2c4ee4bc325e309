/**
 * Waits between polls that something else can cut short: an idle engine asks
 * the running folders for copies every few milliseconds, and must stop waiting
 * the moment the last of them ends, or every run would end up to one poll late.
 * A wait that is woken clears its timer, so no timer outlives the run.
 */
export class PollWait {
  private readonly waiting = new Set<() => void>();

  /** Resolves after `ms`, or at the next wake(), whichever comes first. */
  wait(ms: number): Promise<void> {
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
    for (const done of [...this.waiting]) done();
  }
}
