// How the bench starts imapfw: with the Node running the bench and the Node flags of the bin's shebang line, as a
// user's `imapfw` (the bin run by its shebang) starts, whichever Node's bin directory comes first on PATH.
import { readFileSync } from 'node:fs';

/** The Node flags after `node` on the first line of `bin` (`#!/usr/bin/env -S node FLAGS`). */
export function shebangNodeFlags(bin: string): string[] {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0];
  const match = /^#!\S*env(?: -S)? node(?<flags>(?: \S+)*)\s*$/.exec(first);
  if (!match) throw new Error(`${bin}: first line is not an env shebang running node: ${first}`);
  return match.groups!.flags.split(' ').filter(Boolean);
}

/** The command and arguments that run `bin` with `args` as its shebang would, on this bench's Node. */
export function imapfwCommand(bin: string, args: readonly string[]): [string, string[]] {
  return [process.execPath, [...shebangNodeFlags(bin), bin, ...args]];
}
