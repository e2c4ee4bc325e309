import { existsSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = fileURLToPath(import.meta.url);

/** The package root: the nearest folder up from here whose package.json is imapfw's. */
function packageRoot(): string {
  for (let dir = dirname(here); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'imapfw') return dir;
  }
  throw new Error(`imapfw's package.json not found above ${here}`);
}

/**
 * V8 limits of every worker. The young generation is capped at 8 MB (V8's
 * default grows it to 48 MB per thread): the actors' garbage is short-lived,
 * and with six threads the default alone added some 50 MB to the peak RSS
 * of a mirror, for no measurable gain in speed.
 */
export const WORKER_RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 8 };

/** The same module's URL, compiled or TypeScript source as this one is: `./task-thread` from `import.meta.url`. */
export function sibling(url: string, name: string): string {
  return new URL(`./${name}${extname(here)}`, url).href;
}

/** The worker boot file and what it needs to load the runtime entry, or another `entry` (compiled or TypeScript source). */
export function bootSpec(appModule: string, entry = pathToFileURL(join(dirname(here), '..', `worker-entry${extname(here)}`)).href): { filename: string; entry: string; tsx: boolean } {
  const tsx = /\.[cm]?ts$/.test(entry) || /\.[cm]?ts$/.test(appModule);
  return { filename: join(packageRoot(), 'bin', 'worker-boot.mjs'), entry, tsx };
}
