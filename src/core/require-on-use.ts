import { createRequire } from 'node:module';

/**
 * Loads a package, or a built-in module, where it is first used. What only
 * some runs use (BullMQ, progress bars, piscina, picomatch, child processes)
 * is required through it rather than imported: imapfw's build is one file
 * (scripts/bundle.mjs), where every static import of a package is hoisted to
 * the top and loads at every start.
 */
export const requireOnUse = createRequire(import.meta.url);
