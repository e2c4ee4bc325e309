// Options `migrate --batch FILE --queue URL` refuses before it reads the CSV
// or opens the queue.
import { describe, expect, it } from 'vitest';
import { parseMigrateArgs } from '../../src/apps/migrate/args.js';

const enqueue = (...args: string[]) => parseMigrateArgs(['--batch', '/nonexistent/accounts.csv', '--queue', 'redis://127.0.0.1:6379', ...args]);

describe('migrate --queue: refused options', () => {
  it('--dry-run: its jobs would stand for the accounts, and the real enqueue would add nothing', async () => {
    await expect(enqueue('--dry-run')).rejects.toThrow(/--dry-run does not go with --queue: .* without --queue$/);
  });
});
