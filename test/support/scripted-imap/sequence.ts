// Sequence sets ("1:*", "3,5:7", "1:4294967295") resolved against what exists.

/** Does `n` fall in `set`, where `*` stands for `star` (the largest number in use, 0 when none)? */
export function inSequenceSet(set: string, n: number, star: number): boolean {
  for (const part of set.split(',')) {
    const [a, b = a] = part.split(':');
    const from = bound(a!, star);
    const to = bound(b, star);
    if (Number.isNaN(from) || Number.isNaN(to)) throw new Error(`bad sequence set ${set}`);
    if (n >= Math.min(from, to) && n <= Math.max(from, to)) return true;
  }
  return false;
}

function bound(text: string, star: number): number {
  if (text === '*') return star;
  if (!/^\d+$/.test(text)) return NaN;
  return Number(text);
}

/** The numbers as a compact set: [1,2,3,7] -> "1:3,7". */
export function compactSet(numbers: readonly number[]): string {
  const sortedNumbers = [...numbers].sort((a, b) => a - b);
  const parts: string[] = [];
  let start = sortedNumbers[0];
  let prev = start;
  for (const n of sortedNumbers.slice(1).concat([NaN])) {
    if (n === prev! + 1) {
      prev = n;
      continue;
    }
    if (start !== undefined) parts.push(start === prev ? `${start}` : `${start}:${prev}`);
    start = n;
    prev = n;
  }
  return parts.join(',');
}
