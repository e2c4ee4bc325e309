import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { readPassword } from '../../src/core/imap/password.js';

const account = 'alice@example.org';

describe('readPassword', () => {
  it('takes a value as is', async () => {
    expect(await readPassword({ value: ' s3cret ' }, account)).toBe(' s3cret ');
  });

  it('reads an environment variable, and says which one is missing', async () => {
    process.env.IMAPFW_TEST_PW = 'from-env';
    expect(await readPassword({ env: 'IMAPFW_TEST_PW' }, account)).toBe('from-env');
    delete process.env.IMAPFW_TEST_PW;
    await expect(readPassword({ env: 'IMAPFW_TEST_PW' }, account)).rejects.toThrow(/IMAPFW_TEST_PW .*alice@example.org.* not set/);
  });

  it('runs a command through the shell and drops only its final newline', async () => {
    expect(await readPassword({ command: "printf 'pass word\\n'" }, account)).toBe('pass word');
    expect(await readPassword({ command: "printf 'crlf\\r\\n'" }, account)).toBe('crlf');
    expect(await readPassword({ command: "printf ' two\\n\\n'" }, account)).toBe(' two\n');
    expect(await readPassword({ command: 'echo first | tr a-z A-Z' }, account)).toBe('FIRST');
  });

  it('fails clearly when the command exits non-zero, quoting stderr but never stdout', async () => {
    const failing = readPassword({ command: 'echo leaked-secret; echo "gpg: decryption failed" >&2; exit 3' }, account);
    await expect(failing).rejects.toBeInstanceOf(ConfigError);
    const error = (await failing.catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(/password.command for alice@example.org exited with status 3: gpg: decryption failed/);
    expect(error.message).not.toContain('leaked-secret');
  });

  it('fails when the command prints nothing or does not exist', async () => {
    await expect(readPassword({ command: 'true' }, account)).rejects.toThrow(/printed nothing/);
    await expect(readPassword({ command: 'no-such-command-imapfw' }, account)).rejects.toThrow(/exited with status 127/);
  });

  it('refuses to prompt without a terminal', async () => {
    await expect(readPassword({ prompt: true }, account)).rejects.toThrow(/needs a terminal/);
  });
});
