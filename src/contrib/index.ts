/**
 * imapfw's extras for your own apps (`import ... from 'imapfw/contrib'`):
 * the command-line pieces the shipped apps are built with.
 */
export { appCommand, positiveInteger } from './cli/command.js';
export { loadConfigAccounts } from './cli/config-module.js';
export { DryRunMaildir, type DryRunMaildirOptions } from './cli/dry-run-maildir.js';
export { passwordFromFlags, withStateDir, type PasswordFlags } from './cli/password-flags.js';
export { PRESETS, findPreset, presetUrl, uploadLimitOf, type PresetName, type ProviderPreset } from './providers/presets.js';
export { ProgressBars } from './cli/progress.js';
export { summarize, exitCodeOf, formatSummary, errorLines, skippedLines, skippedItems, type RunSummary } from './cli/summary.js';
export { jsonLine } from './cli/json-line.js';
export {
  accountOptions,
  maildirAppAccount,
  accountName,
  runOptions,
  runSettings,
  requireAccountFlags,
  type MaildirAppAccount,
  type MaildirAppAccountEntry,
  type MaildirAppFlags,
  type MaildirAppRun,
} from './cli/maildir-app-options.js';
export { declareMaildirAccount, type MaildirAppAccountSpec } from './cli/maildir-app-topology.js';
export { runAccounts, type RunAccountsOptions } from './cli/run-accounts.js';
export { handOffToDaemon, type HandOffRun, type SummaryText } from './cli/hand-off.js';
export { formatWatchStatus } from './cli/watch-status.js';
