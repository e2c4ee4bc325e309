// Which server answers are throttling (wait and go on), which a daily limit
// (stop for today), and which neither, as imapflow reports them.
import { describe, expect, it } from 'vitest';
import { DailyLimitError, StoreError, ThrottledError } from '../../src/api/errors.js';
import { retrying } from '../../src/api/engines/retrying.js';
import { toImapfwError } from '../../src/core/imap/errors.js';

/** An imapflow command failure: the parsed tagged NO with its response code. */
function refused(text: string, code?: string): unknown {
  return {
    message: 'Command failed',
    responseStatus: 'NO',
    responseText: text,
    response: { tag: '7', command: 'NO', attributes: [...(code ? [{ type: 'ATOM', value: '', section: [{ type: 'ATOM', value: code }] }] : []), { type: 'TEXT', value: text }] },
  };
}
const context = { account: 'alice@imap.example', operation: 'fetch', folder: 'INBOX' };

describe('provider limit answers', () => {
  it("Microsoft's suggested backoff is a ThrottledError that waits the milliseconds it names", () => {
    const error = toImapfwError(refused('Request is throttled. Suggested Backoff Time: 2345 milliseconds'), context);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).waitMs).toBe(2345);
    expect(error.retryable).toBe(true);
  });

  it("Gmail's [THROTTLED] is a ThrottledError without a wait (backoff)", () => {
    const error = toImapfwError(refused('Too many commands', 'THROTTLED'), context);
    expect(error).toBeInstanceOf(ThrottledError);
    expect((error as ThrottledError).waitMs).toBeUndefined();
  });

  it("Gmail's bandwidth answers are a DailyLimitError saying when to run again; a full mailbox is not", () => {
    for (const answer of [refused('Account exceeded command or bandwidth limits. (Failure)', 'OVERQUOTA'), refused('Account exceeded command or bandwidth limits.')]) {
      const error = toImapfwError(answer, context);
      expect(error).toBeInstanceOf(DailyLimitError);
      expect(error.retryable).toBe(false);
      expect(error.message).toMatch(/Run again after \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    }
    const full = toImapfwError(refused('Quota exceeded (mailbox is full)', 'OVERQUOTA'), context);
    expect(full).toBeInstanceOf(StoreError);
  });

  it('retrying waits as a throttling server asks and gives up after 8 attempts', async () => {
    let calls = 0;
    const started = Date.now();
    const answer = await retrying(async () => {
      calls++;
      if (calls < 3) throw new ThrottledError('slow down', 50);
      return 'done';
    });
    expect(answer).toBe('done');
    expect(calls).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    let attempts = 0;
    await expect(
      retrying(async () => {
        attempts++;
        throw new ThrottledError('slow down', 1);
      }),
    ).rejects.toBeInstanceOf(ThrottledError);
    expect(attempts).toBe(8);
  });
});
