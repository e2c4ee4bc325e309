// An esbuild plugin for the bundles' build-time edits (scripts/bundle.mjs, scripts/bundle-imapflow.mjs): edits of a
// few lines that keep what a run never uses from loading at every start, or cut work a run repeats and never uses.
import { readFile } from 'node:fs/promises';

/**
 * Each edit names a file (a RegExp of its path), the build's warning should its text change, and the replacements,
 * each of which must match exactly once: an edit whose text changed is left out (the file loads slower, as correct)
 * and the build says so. Every edit naming a file applies to it, in order (esbuild asks only the first onLoad that
 * answers).
 */
export function loadTimeEdits(edits) {
  return {
    name: 'load-time-edits',
    setup(bundle) {
      for (const { file } of edits) {
        bundle.onLoad({ filter: file }, async (args) => {
          let contents = await readFile(args.path, 'utf8');
          const warnings = [];
          for (const { warning, replace } of edits.filter((edit) => edit.file.test(args.path))) {
            if (replace.some(([from]) => contents.split(from).length !== 2)) warnings.push({ text: warning });
            else contents = replace.reduce((text, [from, to]) => text.replace(from, to), contents);
          }
          return { contents, loader: 'js', warnings };
        });
      }
    },
  };
}
