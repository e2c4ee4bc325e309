import { createInterface } from 'node:readline';
import { ConfigError, type PasswordSource } from '../../api/index.js';

/**
 * The password source from `--password-env` / `--password-command`, or a
 * prompt on the terminal when neither is given (asked here, on the main
 * thread: workers have no terminal).
 */
export async function passwordFromFlags(flags: { passwordEnv?: string; passwordCommand?: string }, account: string, flagPrefix = '--'): Promise<PasswordSource> {
  if (flags.passwordEnv && flags.passwordCommand) throw new ConfigError(`give ${flagPrefix}password-env or ${flagPrefix}password-command, not both`);
  if (flags.passwordEnv) {
    if (process.env[flags.passwordEnv] === undefined) throw new ConfigError(`${flagPrefix}password-env: the environment variable ${flags.passwordEnv} is not set`);
    return { env: flags.passwordEnv };
  }
  if (flags.passwordCommand) return { command: flags.passwordCommand };
  if (!process.stdin.isTTY) throw new ConfigError(`no password for ${account}: give ${flagPrefix}password-env NAME or ${flagPrefix}password-command CMD`);
  return { value: await prompt(`password for ${account}: `) };
}

/** Reads a line from the terminal without echoing it. */
function prompt(question: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const write = (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput.bind(rl);
    (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
      if (s.startsWith(question)) write(s);
    };
    rl.question(question, (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}
