import type { PasswordSource } from '../../api/index.js';
import { ConfigError } from '../../api/errors.js';

/** The credential flags of one server, as commander parses them (`--password-env`, `--oauth2`, ...). */
export interface PasswordFlags {
  passwordEnv?: string;
  passwordCommand?: string;
  oauth2TokenCommand?: string;
  oauth2?: string;
}

/**
 * The password source from `--password-env` / `--password-command`, the
 * OAuth2 token source from `--oauth2-token-command` / `--oauth2 ADDRESS`
 * (the login `imapfw login` stored in `stateDir`), or a password prompt on
 * the terminal when none is given (asked here, on the main thread: workers
 * have no terminal).
 */
export async function passwordFromFlags(flags: PasswordFlags, account: string, flagPrefix = '--', stateDir?: string): Promise<PasswordSource> {
  const given = (['passwordEnv', 'passwordCommand', 'oauth2TokenCommand', 'oauth2'] as const).filter((key) => flags[key]);
  const flag = (key: (typeof given)[number]) => `${flagPrefix}${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  if (given.length > 1) throw new ConfigError(`give one of ${given.map(flag).join(', ')}, not ${given.length}`);
  if (flags.passwordEnv) {
    if (process.env[flags.passwordEnv] === undefined) throw new ConfigError(`${flagPrefix}password-env: the environment variable ${flags.passwordEnv} is not set`);
    return { env: flags.passwordEnv };
  }
  if (flags.passwordCommand) return { command: flags.passwordCommand };
  if (flags.oauth2TokenCommand) return { oauth2Command: flags.oauth2TokenCommand };
  if (flags.oauth2) return withStateDir({ oauth2: flags.oauth2 }, stateDir);
  if (!process.stdin.isTTY) {
    throw new ConfigError(`no password for ${account}: give ${flagPrefix}password-env NAME, ${flagPrefix}password-command CMD, ${flagPrefix}oauth2 ADDRESS or ${flagPrefix}oauth2-token-command CMD`);
  }
  return { value: await prompt(`password for ${account}: `) };
}

/** A built-in OAuth2 source finds its login in the run's state directory unless it names its own. */
export function withStateDir(source: PasswordSource, stateDir: string | undefined): PasswordSource {
  return 'oauth2' in source && source.stateDir === undefined && stateDir !== undefined ? { ...source, stateDir } : source;
}

/** Reads a line from the terminal without echoing it. */
async function prompt(question: string): Promise<string> {
  // Loaded here: only a run that asks for its password reads the terminal.
  const { createInterface } = await import('node:readline');
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
