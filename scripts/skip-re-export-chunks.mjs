// esbuild's code splitting gives a dynamic import() of a module that other chunks hold too a chunk of its own that
// only re-exports that module's names from the chunk holding its code: one more file to read, compile and link
// at run time. Where that chunk does nothing else, every import of it is pointed at the chunk with the code,
// and the re-export chunk goes.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `import { a, b } from "./chunk-C.js"; import "./chunk-D.js"; ... export { a, b };` and nothing else. */
const RE_EXPORT_ONLY = /^import \{([^}]*)\} from "\.\/([\w-]+\.js)";\n((?:import "\.\/[\w-]+\.js";\n)*)export \{([^}]*)\};$/;
const STATIC_IMPORT = /^import (?:\{[^}]*\} from )?"\.\/([\w-]+\.js)";$/gm;

/**
 * Rewrites the chunks of `dir` (an esbuild output folder of ES modules; `banner`, the line heading each file) and
 * returns how many re-export chunks went. A re-export chunk is skipped only when importing the chunk with the code
 * evaluates everything it did: the same names, unrenamed, and every chunk it imports for its side effects (the
 * modules of the imported module's graph whose bindings no code uses) either imported, directly or not, by the chunk
 * with the code, or empty. Chunk names are all of one length, so the source maps keep their columns.
 */
export function skipReExportChunks(dir, banner) {
  const texts = new Map(readdirSync(dir).filter((name) => name.endsWith('.js')).map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
  const code = (text) => text.replace(`${banner}\n`, '').replace(/^\/\/# sourceMappingURL=.*$/m, '').trim();
  const reached = (chunk, seen = new Set()) => {
    for (const [, imported] of code(texts.get(chunk) ?? '').matchAll(STATIC_IMPORT)) if (!seen.has(imported)) reached(imported, seen.add(imported));
    return seen;
  };
  const names = (list) => list.split(',').map((name) => name.trim()).filter(Boolean).sort().join(',');
  const skipped = new Map();
  for (const [chunk, text] of texts) {
    const match = RE_EXPORT_ONLY.exec(code(text));
    if (!match) continue;
    const [, imported, target, sideEffects, exported] = match;
    if (/\bas\b/.test(imported + exported) || names(imported) !== names(exported)) continue;
    const targetReaches = reached(target);
    const evaluated = (other) => targetReaches.has(other) || code(texts.get(other) ?? 'missing') === '';
    if ([...sideEffects.matchAll(/"\.\/([\w-]+\.js)"/g)].every(([, other]) => evaluated(other))) skipped.set(chunk, target);
  }
  for (const [name, text] of texts) {
    if (skipped.has(name)) continue;
    let edited = text;
    for (const [chunk, target] of skipped) {
      if (chunk.length !== target.length) throw new Error(`bundle: chunk names of different lengths (${chunk}, ${target})`);
      edited = edited.replaceAll(`"./${chunk}"`, `"./${target}"`);
    }
    if (edited !== text) writeFileSync(join(dir, name), edited);
  }
  for (const chunk of skipped.keys()) {
    rmSync(join(dir, chunk));
    rmSync(join(dir, `${chunk}.map`), { force: true });
  }
  return skipped.size;
}
