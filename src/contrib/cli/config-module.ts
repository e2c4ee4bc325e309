import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../api/errors.js';
import { expandHome } from '../../api/expand-home.js';
import { closestWord } from './closest-word.js';

/**
 * The accounts of a `--config` module: its default export, one account or a
 * list, each holding every key of `required` and, when `known` is given, no
 * key but those (a mistyped one would be ignored, and its default used in
 * silence). A module that cannot be loaded, exports nothing, lacks a key or
 * holds an unknown one is a ConfigError naming the file and the account.
 */
export async function loadConfigAccounts<Account extends { name?: string }>(file: string, required: readonly (keyof Account & string)[], known?: readonly string[]): Promise<Account[]> {
  const module = (await importConfig(configUrl(file)).catch((error: unknown) => {
    throw new ConfigError(`--config ${file}: cannot load it: ${(error as Error).message}`);
  })) as { default?: Account | Account[] };
  const entries = module.default === undefined ? [] : Array.isArray(module.default) ? module.default : [module.default];
  if (entries.length === 0) throw new ConfigError(`--config ${file}: its default export must be an account or a list of accounts`);
  entries.forEach((entry, i) => {
    const where = `--config ${file}: account ${(entry as Partial<Account> | null)?.name ?? i + 1}`;
    if (typeof entry !== 'object' || entry === null) throw new ConfigError(`${where} is not an object ({ remote, maildir, password, ... })`);
    for (const key of required) {
      if (!entry[key]) throw new ConfigError(`${where} has no "${key}"`);
    }
    if (known !== undefined) checkKnownKeys(entry, known, where);
  });
  return entries;
}

/** The keys of an account type, for `known`: `keysOf<Account>({ name: true, ... })` does not compile when one is missing. */
export function keysOf<Account>(keys: Record<keyof Account, true>): string[] {
  return Object.keys(keys);
}

function checkKnownKeys(entry: object, known: readonly string[], where: string): void {
  const unknown = Object.keys(entry).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const named = unknown.map((key) => {
    const meant = closestWord(key, known);
    return `"${key}"${meant ? ` (did you mean "${meant}"?)` : ''}`;
  });
  throw new ConfigError(`${where}: unknown key${unknown.length > 1 ? 's' : ''} ${named.join(', ')}; an account may hold ${known.join(', ')}`);
}

/** Loads of config modules in this process: a daemon reads its --config again on SIGHUP. */
let loads = 0;

/**
 * The module's URL, read anew at every load: import() caches an ES module by
 * URL (a query makes it another) and a CommonJS one in require's cache;
 * TypeScript goes through tsImport, which loads it anew each time.
 */
function configUrl(file: string): string {
  const path = expandHome(file);
  const url = pathToFileURL(path).href;
  if (/\.[cm]?ts$/.test(path)) return url;
  delete createRequire(import.meta.url).cache[path];
  return `${url}?load=${++loads}`;
}

/**
 * Imports a config module; TypeScript through tsx's tsImport, which also
 * loads a .ts file outside an ESM package (Node treats it as CommonJS there,
 * and its exports then arrive wrapped in `default`).
 */
async function importConfig(url: string): Promise<unknown> {
  if (!/\.[cm]?ts$/.test(url)) return import(url);
  const { tsImport } = await import('tsx/esm/api');
  const module = (await tsImport(url, import.meta.url)) as { default?: unknown };
  const inner = module.default as { __esModule?: boolean } | undefined;
  return inner && typeof inner === 'object' && inner.__esModule === true ? inner : module;
}
