import { readFileSync } from 'node:fs';
import { ConfigError } from '../../api/errors.js';
import { expandHome } from '../../api/expand-home.js';
import { parseSyncPolicy, type SyncPolicy } from '../../api/policy.js';
import { appCommand } from '../../contrib/cli/command.js';
import {
  accountOptions,
  checkConfigFlags,
  MAILDIR_APP_ACCOUNT_KEYS,
  maildirAppAccount,
  requireAccountFlags,
  runOptions,
  runSettings,
  type MaildirAppAccount,
  type MaildirAppAccountEntry,
  type MaildirAppFlags,
  type MaildirAppRun,
  type ConfigSource,
} from '../../contrib/cli/maildir-app-options.js';
import { keysOf, loadConfigAccounts } from '../../contrib/cli/config-module.js';
import { passwordFromFlags } from '../../contrib/cli/password-flags.js';

/** Which sides a folder or expunge policy acts on: mbsync's None/Far/Near/Both, as remote/local. */
export type Sides = 'none' | 'remote' | 'local' | 'both';

/** One synced account, from the command line or a config file. */
export interface SyncAccountArgs extends MaildirAppAccount {
  /** mbsync's Sync words, e.g. ['full'] or ['pull', 'new']. */
  sync: string[];
  expunge: Sides;
  create: Sides;
  remove: Sides;
  /** Parsed from `sync` and `expunge`. */
  policy: SyncPolicy;
}

export interface SyncArgs extends MaildirAppRun {
  accounts: SyncAccountArgs[];
  /** `--config FILE`, when the accounts come from one. */
  config?: ConfigSource<SyncArgs>;
}

/** What a `--config` module may export (default export: one account or a list); every policy is per account. */
export interface SyncConfigAccount extends MaildirAppAccountEntry {
  /** mbsync's Sync: 'full' (default), or words such as 'pull new' or ['push', 'flags']. */
  sync?: string | string[];
  /** Also in mbsync's words: 'far' (remote) and 'near' (local). */
  expunge?: Sides | MbsyncSides;
  create?: Sides | MbsyncSides;
  remove?: Sides | MbsyncSides;
}

type MbsyncSides = 'far' | 'near';

const CONFIG_ACCOUNT_KEYS = keysOf<SyncConfigAccount>({ ...MAILDIR_APP_ACCOUNT_KEYS, sync: true, expunge: true, create: true, remove: true });

interface Flags extends MaildirAppFlags {
  sync?: string[];
  expunge?: string;
  create?: string;
  remove?: string;
}

const SIDES: readonly Sides[] = ['none', 'remote', 'local', 'both'];
/** The planner's words: 'left' is the server (mbsync's far side), 'right' the Maildir (near). */
const PLANNER_SIDES: Readonly<Record<Sides, string>> = { none: 'none', remote: 'left', local: 'right', both: 'both' };

export async function parseSyncArgs(argv: string[]): Promise<SyncArgs> {
  const command = accountOptions(
    appCommand('sync', 'Two-way sync of an IMAP account and a local Maildir: new messages, deletions and flag changes go both ways, as mbsync does.'),
    'sync',
  )
    .option(
      '--sync <words...>',
      "what propagates, in mbsync's words: full (default), or pull (server -> Maildir) / push (Maildir -> server) " +
        "combined with new / gone / flags, e.g. --sync pull new  or  --sync pull push-flags",
    )
    .option('--expunge <sides>', 'delete messages flagged \\Deleted on: none (default), remote (far), local (near) or both')
    .option('--create <sides>', 'create a folder missing on: none, remote (far), local (near) or both (default)')
    .option('--remove <sides>', 'remove a folder deleted on the other side, on: none (default), remote (far), local (near) or both; a non-empty folder is never removed')
    .option('--dry-run', 'print every planned action per folder; change nothing')
    .option('--config <file>', "a module (JS or TS) whose default export is an account or a list of accounts, each with its own policies; or mbsync's ~/.mbsyncrc (each Channel an account)");
  runOptions(command);
  command.parse(argv, { from: 'user' });
  const flags = command.opts<Flags>();

  const settings = runSettings(flags);
  if (!flags.config) return { accounts: [await accountFromFlags(flags)], ...settings };
  checkConfigFlags(flags);
  const config = { file: flags.config, reread: () => parseSyncArgs(argv) };
  return { accounts: await accountsFromConfig(flags.config, flags), ...settings, config };
}

async function accountFromFlags(flags: Flags): Promise<SyncAccountArgs> {
  const { remote, maildir } = requireAccountFlags(flags);
  return account({ remote, maildir, password: await passwordFromFlags(flags, remote) }, flags, '');
}

async function accountsFromConfig(file: string, flags: Flags): Promise<SyncAccountArgs[]> {
  const entries = isModule(file) ? await loadConfigAccounts<SyncConfigAccount>(file, ['remote', 'maildir', 'password'], CONFIG_ACCOUNT_KEYS) : await mbsyncAccounts(file);
  return entries.map((entry, i) => account(entry, flags, `--config ${file}: account ${entry.name ?? i + 1}: `));
}

/** mbsync's own words for the sides. */
const MBSYNC_SIDES: Readonly<Record<string, Sides>> = { far: 'remote', near: 'local' } satisfies Record<MbsyncSides, Sides>;

function sides(option: string, value: string | undefined, fallback: Sides, where: string): Sides {
  const given = (value ?? fallback).trim().toLowerCase();
  const word = MBSYNC_SIDES[given] ?? given;
  if (!(SIDES as readonly string[]).includes(word)) throw new ConfigError(`${where}--${option} must be none, remote (far), local (near) or both, not "${value}"`);
  return word as Sides;
}

function account(entry: SyncConfigAccount, flags: Flags, where: string): SyncAccountArgs {
  const sync = entry.sync === undefined ? (flags.sync ?? ['full']) : Array.isArray(entry.sync) ? entry.sync : [entry.sync];
  const expunge = sides('expunge', entry.expunge ?? flags.expunge, 'none', where);
  let policy: SyncPolicy;
  try {
    // As mbsync: where flags flow one way (--sync pull), the local changes are kept, not set back as a mirror would.
    policy = { ...parseSyncPolicy(sync, PLANNER_SIDES[expunge]), keepOwnFlags: true };
  } catch (error) {
    throw new ConfigError(`${where}--sync: ${(error as Error).message}`);
  }
  return {
    ...maildirAppAccount('sync', entry, flags),
    sync,
    expunge,
    create: sides('create', entry.create ?? flags.create, 'both', where),
    remove: sides('remove', entry.remove ?? flags.remove, 'none', where),
    policy,
  };
}

/** 'remote' -> the server (left), 'local' -> the Maildir (right). */
export function onSides(value: Sides): { left: boolean; right: boolean } {
  return { left: value === 'remote' || value === 'both', right: value === 'local' || value === 'both' };
}

function isModule(file: string): boolean {
  return /\.[cm]?[jt]s$/.test(file);
}

/** The channels of an mbsync configuration (`--config ~/.mbsyncrc`) as accounts; any other file is refused, naming what is read. */
async function mbsyncAccounts(file: string): Promise<SyncConfigAccount[]> {
  const { looksLikeMbsyncrc, mbsyncrcAccounts } = await import('../../contrib/mbsyncrc/mbsyncrc-accounts.js');
  const path = expandHome(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`--config ${file}: cannot read it: ${(error as Error).message}`);
  }
  if (!looksLikeMbsyncrc(text)) throw new ConfigError(`--config ${file}: neither a module (.mjs, .js, .ts) nor an mbsync configuration (~/.mbsyncrc)`);
  return mbsyncrcAccounts(path, text);
}
