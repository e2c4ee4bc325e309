import { defineConfig } from 'vitest/config';

/**
 * Files that must have the machine to themselves: SIGKILL campaigns, deadlines
 * measured in seconds, push latency, peak RSS, many processes at once. They
 * run one at a time, after every other file.
 */
const ALONE = [
  'test/**/crash.test.ts',
  'test/**/soak.test.ts',
  'test/**/queue*.test.ts',
  'test/watch/**/*.test.ts',
  'test/control/**/*.test.ts',
  'test/mirror/stall.test.ts',
  'test/mirror/large-message.test.ts',
  'test/mirror/resilience.test.ts',
  'test/imap/deadline.test.ts',
  'test/imap/too-big.test.ts',
  'test/runtime/error-link.test.ts',
  'test/providers/throttling.test.ts',
  'test/distrust/writes.test.ts',
  'test/distrust/folder-failures.test.ts',
];

const shared = { testTimeout: 60_000, hookTimeout: 60_000, pool: 'forks' } as const;

// The other files wait mostly on Dovecot and on the processes they start: two
// at a time on this project's 2-core machines (vitest's default there is one).
export default defineConfig({
  test: {
    projects: [
      { test: { ...shared, name: 'together', include: ['test/**/*.test.ts'], exclude: ALONE, maxWorkers: 2, sequence: { groupOrder: 0 } } },
      { test: { ...shared, name: 'alone', include: ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } } },
    ],
  },
});
