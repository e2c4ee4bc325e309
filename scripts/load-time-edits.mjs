// An esbuild plugin for the bundles' build-time edits (scripts/bundle.mjs, scripts/bundle-imapflow.mjs): edits of a
// few lines that keep what a run never uses from loading at every start, or cut work a run repeats and never uses.
import { readFile } from 'node:fs/promises';

/**
 * Each edit names a file (a RegExp of its path), the build's warning should its text change, and the replacements,
 * each of which must match exactly once: a file whose text changed is bundled as it is (slower to load, as correct)
 * and the build says so.
 */
export function loadTimeEdits(edits) {
  return {
    name: 'load-time-edits',
    setup(bundle) {
      for (const { file, warning, replace } of edits) {
        bundle.onLoad({ filter: file }, async (args) => {
          const source = await readFile(args.path, 'utf8');
          if (replace.some(([from]) => source.split(from).length !== 2)) return { contents: source, loader: 'js', warnings: [{ text: warning }] };
          return { contents: replace.reduce((text, [from, to]) => text.replace(from, to), source), loader: 'js' };
        });
      }
    },
  };
}
