import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { ConfigError } from '../../api/errors.js';

/**
 * A commander program for an app's options: `--help` prints and exits 0;
 * a bad option becomes a ConfigError (exit code 2, the message says which).
 */
export function appCommand(name: string, description: string): Command {
  return new Command(`imapfw ${name}`)
    .description(description)
    .configureOutput({ writeErr: () => {} })
    .exitOverride((error: CommanderError) => {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') process.exit(0);
      throw new ConfigError(error.message.replace(/^error: /, ''));
    });
}

/**
 * An option's value parser: a whole number of at least 1. Like every such
 * parser here it throws commander's InvalidArgumentError, which commander
 * words as "option '--x <n>' argument 'abc' is invalid. ..." (appCommand
 * makes that a ConfigError): the message names the option.
 */
export function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('Expected a whole number of at least 1.');
  return n;
}

/** `--timeout SECONDS`, shared by every app that talks to a server (ImapRepositoryOptions.timeoutMs). */
export const timeoutOption = [
  '--timeout <seconds>',
  'give up a server command that moves no data (or only a trickle) for this many seconds; the run then ends with exit code 4',
  positiveInteger,
  60,
] as const;

/** `--threads T`, shared by `migrate --batch` and `worker`: the account threads the accounts run in (see TaskThreads). */
export const threadsOption = [
  '--threads <n>',
  'account threads: each hosts several of the accounts at once, with their connections, engines and state inline (default: --parallel, at most the CPU count); not with --backend',
  positiveInteger,
] as const;

/** The levels `--log-level` takes (pino's), most severe first. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const;

/** `--log-level LEVEL`, checked as the command line is parsed (not by the logger as the run starts, with its stack). */
export function logLevel(value: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(value)) throw new InvalidArgumentError(`Expected ${LOG_LEVELS.slice(0, -1).join(', ')} or ${LOG_LEVELS.at(-1)}.`);
  return value;
}
