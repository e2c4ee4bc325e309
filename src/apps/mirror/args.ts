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

/** One mirrored account, from the command line or a config file. */
export interface MirrorAccount extends MaildirAppAccount {
  deleteFolders: boolean;
}

export interface MirrorArgs extends MaildirAppRun {
  accounts: MirrorAccount[];
  /** `--config FILE`, when the accounts come from one. */
  config?: ConfigSource<MirrorArgs>;
}

/** What a `--config` module may export (default export: one account or a list). */
export interface MirrorConfigAccount extends MaildirAppAccountEntry {
  deleteFolders?: boolean;
}

const CONFIG_ACCOUNT_KEYS = keysOf<MirrorConfigAccount>({ ...MAILDIR_APP_ACCOUNT_KEYS, deleteFolders: true });

interface Flags extends MaildirAppFlags {
  deleteFolders?: boolean;
}

export async function parseMirrorArgs(argv: string[]): Promise<MirrorArgs> {
  const command = runOptions(
    accountOptions(appCommand('mirror', 'Mirror an IMAP account into a Maildir. Read-only on the server: nothing is ever written there.'), 'mirror')
      .option('--delete-folders', 'delete a local folder when its server folder is deleted (default: keep it)')
      .option('--dry-run', 'print what would be done; change nothing')
      .option('--config <file>', 'a module (JS or TS) whose default export is an account or a list of accounts'),
  );
  command.parse(argv, { from: 'user' });
  const flags = command.opts<Flags>();

  const settings = runSettings(flags);
  if (!flags.config) return { accounts: [await accountFromFlags(flags)], ...settings };
  checkConfigFlags(flags);
  const config = { file: flags.config, reread: () => parseMirrorArgs(argv) };
  return { accounts: await accountsFromConfig(flags.config, flags), ...settings, config };
}

async function accountFromFlags(flags: Flags): Promise<MirrorAccount> {
  const { remote, maildir } = requireAccountFlags(flags);
  return account({ remote, maildir, password: await passwordFromFlags(flags, remote) }, flags);
}

async function accountsFromConfig(file: string, flags: Flags): Promise<MirrorAccount[]> {
  const entries = await loadConfigAccounts<MirrorConfigAccount>(file, ['remote', 'maildir', 'password'], CONFIG_ACCOUNT_KEYS);
  return entries.map((entry) => account(entry, flags));
}

function account(entry: MirrorConfigAccount, flags: Flags): MirrorAccount {
  return { ...maildirAppAccount('mirror', entry, flags), deleteFolders: entry.deleteFolders ?? flags.deleteFolders === true };
}
