// How the bench starts imapfw: with the Node running the bench and the variables and Node flags of the bin's shebang line, as a
// user's `imapfw` (the bin run by its shebang) starts, whichever Node's bin directory comes first on PATH.
import { readFileSync } from 'node:fs';

/** The environment assignments and the Node flags of the first line of `bin` (`#!/usr/bin/env -S [NAME=VALUE...] node FLAGS`). */
export function shebangNodeFlags(bin: string): { env: string[]; flags: string[] } {
  const first = readFileSync(bin, 'utf8').split('\n', 1)[0];
  const match = /^#!\S*env(?: -S)?(?<env>(?: [A-Za-z_][A-Za-z0-9_]*=\S*)*) node(?<flags>(?: \S+)*)\s*$/.exec(first);
  if (!match) throw new Error(`${bin}: first line is not an env shebang running node: ${first}`);
  const words = (text: string) => text.split(' ').filter(Boolean);
  return { env: words(match.groups!.env), flags: words(match.groups!.flags) };
}

/** The command and arguments that run `bin` with `args` as its shebang would, on this bench's Node (through `env` when it sets variables). */
export function imapfwCommand(bin: string, args: readonly string[]): [string, string[]] {
  const { env, flags } = shebangNodeFlags(bin);
  const node = [process.execPath, ...flags, bin, ...args];
  return env.length > 0 ? ['env', [...env, ...node]] : [node[0]!, node.slice(1)];
}
