/**
 * Folder name mapping from the left side to the right side (imapsync's
 * --regextrans2, --automap, --prefix1/--prefix2), on canonical names ('/'
 * separated on both sides: each repository translates its own delimiter, so
 * a '/' server and a '.' server need no separator rule).
 *
 * Pure: `folderMapper(spec, left, right)` gives a function from a left folder
 * name to its right folder name. Steps, in order:
 * 1. prefix: `stripPrefix` is removed from the start of the name, then
 *    `addPrefix` is put in front (INBOX itself is never prefixed);
 * 2. automap: a folder whose role (SPECIAL-USE, else a common name such as
 *    'Sent Items' or 'Gesendet') is Sent, Trash, Drafts, Junk or Archive maps
 *    to the right folder of the same role, when the right side has one;
 * 3. rules: each regular expression rule, in order, replaces its match in the
 *    result of the step before (the first match, or all with the 'g' flag).
 * The result must be a valid canonical name (no empty level); otherwise the
 * mapper throws a ConfigError naming the folder.
 */
import { ConfigError } from '../errors.js';
import type { FolderInfo } from '../types.js';

export interface FolderMapRule {
  /** A JavaScript regular expression, matched against the whole canonical name. */
  pattern: string;
  /** Replacement as for String.prototype.replace: `$1`, `$&`, `$<name>`. */
  replacement: string;
  /** RegExp flags, e.g. 'g' (replace every match) or 'i'. */
  flags?: string;
}

/** Plain data (it crosses threads as an engine option). */
export interface FolderMapSpec {
  rules?: FolderMapRule[];
  automap?: boolean;
  /** Removed from the start of left names ('INBOX/' on a server that keeps every folder under INBOX). */
  stripPrefix?: string;
  /** Put in front of right names ('Old/' to migrate everything under one folder). */
  addPrefix?: string;
}

export type FolderRole = '\\Sent' | '\\Trash' | '\\Drafts' | '\\Junk' | '\\Archive';

export const FOLDER_ROLES: readonly FolderRole[] = ['\\Sent', '\\Trash', '\\Drafts', '\\Junk', '\\Archive'];

/** Names (lower case) that mean a role when the server declares no SPECIAL-USE, as imapsync's --automap knows them. */
const COMMON_NAMES: Readonly<Record<FolderRole, readonly string[]>> = {
  '\\Sent': [
    'sent', 'sent items', 'sent messages', 'sent mail', 'sent-mail', 'sentmail', 'gesendet', 'gesendete objekte', 'gesendete elemente',
    'envoyés', 'envoyes', 'éléments envoyés', 'elements envoyes', 'messages envoyés', 'enviados', 'elementos enviados', 'itens enviados',
    'mensajes enviados', 'inviati', 'posta inviata', 'verzonden', 'verzonden items', 'skickat', 'skickade objekt', 'sendt', 'sendte elementer',
    'wysłane', 'wyslane', 'odeslané', 'отправленные',
  ],
  '\\Trash': [
    'trash', 'deleted', 'deleted items', 'deleted messages', 'bin', 'papierkorb', 'gelöschte objekte', 'gelöschte elemente', 'corbeille',
    'éléments supprimés', 'elements supprimes', 'papelera', 'elementos eliminados', 'lixeira', 'lixo', 'itens excluídos', 'cestino',
    'posta eliminata', 'prullenbak', 'verwijderde items', 'papperskorgen', 'borttagna objekt', 'papirkurv', 'slettede elementer', 'kosz',
    'koš', 'корзина', 'удаленные',
  ],
  '\\Drafts': ['drafts', 'draft', 'entwürfe', 'entwurf', 'brouillons', 'borradores', 'rascunhos', 'bozze', 'concepten', 'utkast', 'kladder', 'szkice', 'koncepty', 'черновики'],
  '\\Junk': [
    'junk', 'junk e-mail', 'junk email', 'junk mail', 'junk-e-mail', 'spam', 'bulk mail', 'courrier indésirable', 'courrier indesirable',
    'pourriel', 'correo no deseado', 'lixo eletrônico', 'posta indesiderata', 'ongewenste e-mail', 'skräppost', 'uønsket e-post', 'spam-verdacht', 'спам',
  ],
  '\\Archive': ['archive', 'archives', 'archiv', 'archivo', 'archivos', 'arquivo', 'archivio', 'archief', 'arkiv', 'archiwum', 'архив'],
};

const BY_NAME = new Map<string, FolderRole>(FOLDER_ROLES.flatMap((role) => COMMON_NAMES[role].map((name) => [name, role] as const)));

/** Parents under which a common name still means a role: 'INBOX/Sent', '[Gmail]/Sent Mail'. */
const ROLE_PARENTS = /^(inbox|\[gmail\]|\[google mail\])\//i;

/** The role of a folder: its SPECIAL-USE if it is one of FOLDER_ROLES, else by its (top-level) name. */
export function folderRole(folder: FolderInfo): FolderRole | undefined {
  if (folder.specialUse && (FOLDER_ROLES as readonly string[]).includes(folder.specialUse)) return folder.specialUse as FolderRole;
  if (folder.specialUse) return undefined; // \All, \Flagged...: a role we do not map by name either
  const name = folder.name.replace(ROLE_PARENTS, '').toLowerCase();
  return name.includes('/') ? undefined : BY_NAME.get(name);
}

/** Compiles the rules once, throwing a ConfigError for a bad regular expression. */
export function compileRules(rules: readonly FolderMapRule[]): { regex: RegExp; replacement: string; source: string }[] {
  return rules.map((rule) => {
    try {
      return { regex: new RegExp(rule.pattern, rule.flags ?? ''), replacement: rule.replacement, source: `${rule.pattern}=${rule.replacement}` };
    } catch (error) {
      throw new ConfigError(`folder map rule "${rule.pattern}": not a valid regular expression: ${(error as Error).message}`);
    }
  });
}

/**
 * The name of the right folder that `leftName` maps to. `left` and `right`
 * are both sides' folder lists (roles come from them).
 */
export function folderMapper(spec: FolderMapSpec, left: readonly FolderInfo[], right: readonly FolderInfo[]): (leftName: string) => string {
  const rules = compileRules(spec.rules ?? []);
  const leftInfo = new Map(left.map((folder) => [folder.name, folder]));
  const rightByRole = spec.automap ? rolesOf(right) : new Map<FolderRole, string>();
  return (leftName) => {
    let name = leftName;
    if (name !== 'INBOX') {
      if (spec.stripPrefix && name.startsWith(spec.stripPrefix) && name.length > spec.stripPrefix.length) name = name.slice(spec.stripPrefix.length);
      if (spec.addPrefix) name = `${spec.addPrefix}${name}`;
    }
    if (spec.automap) {
      const role = folderRole(leftInfo.get(leftName) ?? { name: leftName });
      const target = role && rightByRole.get(role);
      if (target) name = target;
    }
    for (const rule of rules) name = name.replace(rule.regex, rule.replacement);
    return checkedName(name, leftName);
  };
}

/** Per role, the right folder that has it: a declared SPECIAL-USE first, else the first by name (sorted). */
function rolesOf(folders: readonly FolderInfo[]): Map<FolderRole, string> {
  const roles = new Map<FolderRole, string>();
  const selectable = folders.filter((folder) => !folder.noSelect).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const declared of [true, false]) {
    for (const folder of selectable) {
      if ((folder.specialUse !== undefined) !== declared) continue;
      const role = folderRole(folder);
      if (role && !roles.has(role)) roles.set(role, folder.name);
    }
  }
  return roles;
}

function checkedName(name: string, leftName: string): string {
  if (name.toUpperCase() === 'INBOX') return 'INBOX';
  if (name === '' || name.split('/').some((level) => level === '')) {
    throw new ConfigError(`folder "${leftName}" maps to "${name}", which is not a valid folder name (empty level): check --map, --from-prefix and --to-prefix`);
  }
  return name;
}
