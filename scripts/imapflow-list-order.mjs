// The orders imapflow's LIST command sorts by, without ICU's collator where the order decides nothing
// (scripts/bundle-imapflow.mjs edits imapflow's commands/list.js to call these). A process's first
// localeCompare() sets ICU's collator up: 8-13 ms of every run whose account has two folders or more.

/** Code-unit order: the same on every machine, with no locale to set up. */
export function codeUnitOrder(a, b) {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Whether the alphabetical order of imapflow's special-use candidates can change which folder gets which
 * special use. Candidates are taken by source, then depth, then path; taking one only rules out another of
 * the same type or the same folder. So the paths' order matters only when two candidates of one source and
 * depth share a type or a folder: then imapflow's own order (localeCompare) is kept.
 */
export function specialUsePathsCompete(candidates, sourceOrder) {
  const seen = new Set();
  for (const candidate of candidates) {
    const group = `${sourceOrder.indexOf(candidate.source)}/${candidate.entry.parent.length}`;
    for (const key of [`${group} type ${candidate.type}`, `${group} path ${candidate.entry.path}`]) {
      if (seen.has(key)) return true;
      seen.add(key);
    }
  }
  return false;
}
