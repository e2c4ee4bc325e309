/**
 * Message file names: `<unique>[,S=<size>][,W=<crlf size>][:2,<flag letters>]`.
 * The id of a message is everything before the first ':' (the info part),
 * so a flag change (a rename) keeps the id.
 */

export interface ParsedFileName {
  id: string;
  /** The letters after ':2,', or '' when the name has no such info. */
  letters: string;
  /** True when the name carries a ':2,' info part (required in cur/, optional in new/). */
  hasFlagInfo: boolean;
}

export function parseFileName(name: string): ParsedFileName {
  const colon = name.indexOf(':');
  if (colon < 0) return { id: name, letters: '', hasFlagInfo: false };
  const info = name.slice(colon + 1);
  const hasFlagInfo = info.startsWith('2,');
  return { id: name.slice(0, colon), letters: hasFlagInfo ? info.slice(2) : '', hasFlagInfo };
}

/** `<id>:2,<letters>` with the letters deduplicated and sorted, as the spec asks. */
export function formatFileName(id: string, letters: Iterable<string>): string {
  return `${id}:2,${sortLetters(letters)}`;
}

export function sortLetters(letters: Iterable<string>): string {
  return [...new Set(letters)].sort().join('');
}

/**
 * The CRLF size a name states: W= (Dovecot's virtual size) first, then S=
 * (the file size, the CRLF size too when the file keeps CRLF line ends, as
 * ours do). Undefined when the name states neither.
 */
export function sizeFromId(id: string): number | undefined {
  let size: number | undefined;
  for (const field of id.split(',').slice(1)) {
    const match = /^([SW])=(\d+)$/.exec(field);
    if (!match) continue;
    if (match[1] === 'W') return Number(match[2]);
    size = Number(match[2]);
  }
  return size;
}
