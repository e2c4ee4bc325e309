/**
 * IMAP flags <-> Maildir info letters. System flags are upper-case letters;
 * keywords are lower-case letters a..z whose names live in the folder's
 * dovecot-keywords file (see keywords.ts).
 */

const LETTER_OF_SYSTEM_FLAG: Readonly<Record<string, string>> = {
  '\\draft': 'D',
  '\\flagged': 'F',
  '\\answered': 'R',
  '\\seen': 'S',
  '\\deleted': 'T',
};

const SYSTEM_FLAG_OF_LETTER: Readonly<Record<string, string>> = {
  D: '\\Draft',
  F: '\\Flagged',
  R: '\\Answered',
  S: '\\Seen',
  T: '\\Deleted',
};

/** The letter of a system flag ('\\Seen' -> 'S'; IMAP system flags are case-insensitive). */
export function systemFlagLetter(flag: string): string | undefined {
  return LETTER_OF_SYSTEM_FLAG[flag.toLowerCase()];
}

export function isSystemFlag(flag: string): boolean {
  return flag.startsWith('\\');
}

/**
 * An IMAP keyword we can store: an atom (RFC 3501) without a leading
 * backslash, so that it fits one "N name" line of dovecot-keywords.
 */
export function isStorableKeyword(flag: string): boolean {
  return /^[^\x00-\x20\x7f(){%*"\\\]]+$/.test(flag);
}

export function keywordLetter(index: number): string {
  return String.fromCharCode(0x61 + index);
}

function keywordIndex(letter: string): number | undefined {
  const index = letter.charCodeAt(0) - 0x61;
  return letter.length === 1 && index >= 0 && index < 26 ? index : undefined;
}

/**
 * The IMAP flags of a file's letters. Letters we do not know (mutt's 'P',
 * a keyword letter missing from dovecot-keywords) are not reported, but are
 * kept when the file is renamed.
 */
export function flagsOfLetters(letters: string, keywordName: (index: number) => string | undefined): string[] {
  const flags: string[] = [];
  for (const letter of new Set(letters)) {
    const system = SYSTEM_FLAG_OF_LETTER[letter];
    if (system) {
      flags.push(system);
      continue;
    }
    const index = keywordIndex(letter);
    const keyword = index === undefined ? undefined : keywordName(index);
    if (keyword !== undefined) flags.push(keyword);
  }
  return flags;
}
