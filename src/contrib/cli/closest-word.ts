/**
 * The word of `words` a mistyped `word` most likely meant: the nearest by
 * edits (a letter added, dropped or changed; case aside), when it is at
 * most 2 edits away and no more than a third of the word. For a
 * "did you mean ...?".
 */
export function closestWord(word: string, words: readonly string[]): string | undefined {
  let best: { word: string; distance: number } | undefined;
  for (const candidate of words) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    if (distance <= Math.min(2, Math.ceil(candidate.length / 3)) && (best === undefined || distance < best.distance)) best = { word: candidate, distance };
  }
  return best?.word;
}

/** Levenshtein's distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(previous[j]! + 1, row[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length]!;
}
