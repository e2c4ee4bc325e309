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
  // Read with indexOf, not split and a regular expression: a scan reads it for every file of a folder.
  return fieldValue(id, ',W=', 'first') ?? fieldValue(id, ',S=', 'last');
}

/** The number of a `,X=<digits>` field (one ending at the next ',' or the end); `which` of several. */
function fieldValue(id: string, key: string, which: 'first' | 'last'): number | undefined {
  let value: number | undefined;
  for (let at = id.indexOf(key); at >= 0; at = id.indexOf(key, at + 1)) {
    const start = at + key.length;
    let end = start;
    while (end < id.length && id.charCodeAt(end) >= 48 && id.charCodeAt(end) <= 57) end++;
    if (end === start || (end < id.length && id.charCodeAt(end) !== 44)) continue;
    value = Number(id.slice(start, end));
    if (which === 'first') return value;
  }
  return value;
}
