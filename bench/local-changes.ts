// The Maildir-side changes of the two-way scenario: new messages delivered
// into the Maildir and flags changed by a mail client (files renamed), as
// between two runs of a two-way sync.
import { readdirSync, renameSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { benchMessage, FOLDERS } from './mail.js';
import { below, randomFrom, seedOf, shuffle } from './random.js';
import { folderDir } from './verify.js';

const LETTERS: Record<string, string> = { '\\Seen': 'S', '\\Answered': 'R', '\\Flagged': 'F' };

/**
 * Delivers the messages numbered firstIndex, … with the given sizes into
 * their folders' cur/ (flags in the name, INTERNALDATE as mtime), and toggles
 * S (or F for a third) on `flagChanges` random messages that were already there.
 */
export function changeMaildir(
  root: string,
  options: { seed: number; round: number; firstIndex: number; newSizes: number[]; flagChanges: number },
): { added: number; flagsChanged: number } {
  const random = randomFrom(seedOf(options.seed, 'local changes', options.round));
  const existing = FOLDERS.flatMap(({ name }) => {
    const cur = path.join(folderDir(root, name), 'cur');
    return readdirSync(cur)
      .filter((file) => !file.startsWith('.'))
      .sort()
      .map((file) => path.join(cur, file));
  });
  let flagsChanged = 0;
  for (const file of shuffle(existing, random).slice(0, options.flagChanges)) {
    const match = /^(.*:2,)([A-Za-z]*)$/.exec(file);
    if (!match) continue;
    const letter = below(random, 3) === 0 ? 'F' : 'S';
    const letters = match[2]!.includes(letter) ? match[2]!.replace(letter, '') : [...match[2]!, letter].sort().join('');
    renameSync(file, match[1] + letters);
    flagsChanged++;
  }
  options.newSizes.forEach((size, i) => {
    const message = benchMessage(options.seed, options.firstIndex + i, size);
    const letters = message.flags.map((flag) => LETTERS[flag]!).sort().join('');
    const file = path.join(folderDir(root, message.folder), 'cur', `${Date.now()}.bench${options.firstIndex + i}.local:2,${letters}`);
    writeFileSync(file, message.raw);
    utimesSync(file, message.internalDate!, message.internalDate!);
  });
  return { added: options.newSizes.length, flagsChanged };
}
