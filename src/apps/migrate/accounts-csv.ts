import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '../../api/errors.js';
import type { PasswordSource } from '../../api/index.js';
import { accountName, checkDistinctAccounts, checkImapUrl, type MigrateAccount } from './args.js';

/**
 * The --batch file: CSV (RFC 4180: comma separated, "quoted" fields with ""
 * for a quote), a header line naming the columns, one account per line;
 * empty lines and lines starting with '#' are skipped. Per side (from_, to_):
 *   from               imaps://USER@HOST[:PORT] or imap://... (or the three below)
 *   from_host          HOST or HOST:PORT, with from_user, and optionally
 *   from_security      tls (default, port 993) or starttls (port 143)
 *   from_user
 *   from_password | from_password_env | from_password_command
 *   | from_oauth2 (ADDRESS of an `imapfw login`) | from_oauth2_token_command   (exactly one)
 * and an optional `name` (the account's name in the results and its state).
 */
const SIDE_COLUMNS = ['', '_host', '_security', '_user', '_password', '_password_env', '_password_command', '_oauth2', '_oauth2_token_command'];
const COLUMNS = new Set(['name', ...['from', 'to'].flatMap((side) => SIDE_COLUMNS.map((suffix) => `${side}${suffix}`))]);

export function readAccountsCsv(file: string): MigrateAccount[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`--batch ${file}: cannot read it: ${(error as Error).message}`);
  }
  const rows = parseCsv(text).filter(({ fields }) => !(fields.length === 1 && fields[0]!.trim() === '') && !fields[0]!.trimStart().startsWith('#'));
  const [header, ...lines] = rows;
  if (!header) throw new ConfigError(`--batch ${file}: empty; the first line names the columns, e.g. from,from_password_env,to,to_password_env`);
  const columns = header.fields.map((name) => name.trim().toLowerCase());
  for (const column of columns) {
    if (!COLUMNS.has(column)) throw new ConfigError(`--batch ${file}: unknown column "${column}"; known: ${[...COLUMNS].join(', ')}`);
  }
  if (lines.length === 0) throw new ConfigError(`--batch ${file}: no account below the header line`);
  const accounts = lines.map(({ line, fields }) => {
    if (fields.length !== columns.length) throw new ConfigError(`--batch ${file}:${line}: ${fields.length} fields, the header has ${columns.length}`);
    const cell = (column: string) => {
      const value = fields[columns.indexOf(column)]?.trim();
      return value === undefined || value === '' ? undefined : value;
    };
    const where = `--batch ${file}:${line}`;
    const from = sideUrl('from', cell, where);
    const to = sideUrl('to', cell, where);
    checkDistinctAccounts(where, from, to);
    return { name: cell('name') ?? accountName(from, to), from, fromPassword: password('from', cell, where), to, toPassword: password('to', cell, where) };
  });
  const names = new Set<string>();
  for (const account of accounts) {
    if (names.has(account.name)) throw new ConfigError(`--batch ${file}: two accounts named "${account.name}"`);
    names.add(account.name);
  }
  if (columns.some((column) => column.endsWith('_password')) && (statSync(file).mode & 0o077) !== 0) {
    process.stderr.write(`imapfw migrate: warning: ${file} holds passwords and other users may read it (chmod 600 ${file})\n`);
  }
  return accounts;
}

function sideUrl(side: 'from' | 'to', cell: (column: string) => string | undefined, where: string): string {
  const url = cell(side);
  const host = cell(`${side}_host`);
  const user = cell(`${side}_user`);
  if (url) {
    if (host || user) throw new ConfigError(`${where}: give ${side} (a URL) or ${side}_host and ${side}_user, not both`);
    checkImapUrl(`${where}: ${side}`, url);
    return url;
  }
  if (!host || !user) throw new ConfigError(`${where}: no ${side} account: give ${side} (imaps://USER@HOST) or ${side}_host and ${side}_user`);
  const security = (cell(`${side}_security`) ?? 'tls').toLowerCase();
  if (security !== 'tls' && security !== 'starttls') throw new ConfigError(`${where}: ${side}_security must be tls or starttls, not "${security}"`);
  return `${security === 'tls' ? 'imaps' : 'imap'}://${encodeURIComponent(user)}@${host}`;
}

function password(side: 'from' | 'to', cell: (column: string) => string | undefined, where: string): PasswordSource {
  const given = [
    ['password', cell(`${side}_password`)],
    ['password_env', cell(`${side}_password_env`)],
    ['password_command', cell(`${side}_password_command`)],
    ['oauth2', cell(`${side}_oauth2`)],
    ['oauth2_token_command', cell(`${side}_oauth2_token_command`)],
  ].filter((entry): entry is [string, string] => entry[1] !== undefined);
  if (given.length !== 1) {
    throw new ConfigError(`${where}: give exactly one of ${side}_password, ${side}_password_env, ${side}_password_command, ${side}_oauth2 and ${side}_oauth2_token_command (${given.length === 0 ? 'none given' : `got ${given.map(([kind]) => `${side}_${kind}`).join(' and ')}`})`);
  }
  const [kind, value] = given[0]!;
  const sources: Record<string, PasswordSource> = {
    password: { value },
    password_env: { env: value },
    password_command: { command: value },
    oauth2: { oauth2: value },
    oauth2_token_command: { oauth2Command: value },
  };
  return sources[kind]!;
}

/** RFC 4180 records with the line each starts on; a quoted field may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let fields: string[] = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  const input = text.replace(/^\uFEFF/, '');
  for (let i = 0; i < input.length; i++) {
    const c = input[i]!;
    if (quoted) {
      if (c === '"' && input[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        field += c;
      }
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === ',') {
      fields.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && input[i + 1] === '\n') i++;
      fields.push(field);
      records.push({ line: start, fields });
      fields = [];
      field = '';
      start = ++line;
    } else field += c;
  }
  if (quoted) throw new ConfigError(`CSV: a quoted field opened on line ${start} is never closed`);
  if (field !== '' || fields.length > 0) records.push({ line: start, fields: [...fields, field] });
  return records;
}
