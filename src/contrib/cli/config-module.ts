import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError } from '../../api/errors.js';

/**
 * The accounts of a `--config` module: its default export, one account or a
 * list, each holding every key of `required`. A module that cannot be
 * loaded, exports nothing or lacks a key is a ConfigError naming the file
 * and the account.
 */
export async function loadConfigAccounts<Account extends { name?: string }>(file: string, required: readonly (keyof Account & string)[]): Promise<Account[]> {
  const module = (await importConfig(pathToFileURL(resolve(file)).href).catch((error: unknown) => {
    throw new ConfigError(`--config ${file}: cannot load it: ${(error as Error).message}`);
  })) as { default?: Account | Account[] };
  const entries = module.default === undefined ? [] : Array.isArray(module.default) ? module.default : [module.default];
  if (entries.length === 0) throw new ConfigError(`--config ${file}: its default export must be an account or a list of accounts`);
  entries.forEach((entry, i) => {
    for (const key of required) {
      if (!entry[key]) throw new ConfigError(`--config ${file}: account ${entry.name ?? i + 1} has no "${key}"`);
    }
  });
  return entries;
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
