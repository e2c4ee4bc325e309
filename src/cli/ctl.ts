import { ConfigError, DaemonClient, ExitCode, type ControlStatus } from '../api/index.js';
import { appCommand } from '../contrib/cli/command.js';
import { loadConfigAccounts } from '../contrib/cli/config-module.js';
import { jsonLine } from '../contrib/cli/json-line.js';
import { accountName, type MaildirAppAccountEntry } from '../contrib/cli/maildir-app-options.js';
import { formatSummary } from '../contrib/cli/summary.js';
import { formatWatchStatus } from '../contrib/cli/watch-status.js';
import { expandHome } from '../api/expand-home.js';

const ACTIONS = {
  status: 'Show what the daemon is doing: per account and folder, the connection (or the backoff and its next try), the last pass and its counts, the next poll, the last error.',
  sync: 'Have the daemon sync now (only the FOLDERs given, canonical names, when any), wait for the pass and print its summary; the exit code is the pass\'s.',
  pause: 'No pass starts on a change or a poll until resume (`ctl sync` still runs one).',
  resume: 'Undo pause.',
  stop: 'Stop the daemon: it finishes the writes in flight and releases its locks; returns once it has stopped.',
} as const;
type Action = keyof typeof ACTIONS;

export const ctlUsage = `usage: imapfw ctl status [--json] | sync [FOLDER...] [--json] | pause | resume | stop   [--state-dir DIR] [--config FILE]
  talks to the daemon (imapfw sync|mirror --watch) of the state directory`;

interface CtlFlags {
  stateDir?: string;
  config?: string;
  json?: boolean;
}

/** `imapfw ctl ACTION`: steers the daemon of a state directory through its control socket. No daemon: NoDaemonError (exit 6). */
export async function ctl(argv: string[]): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    process.stdout.write(`${ctlUsage}\n`);
    return action ? ExitCode.OK : ExitCode.USAGE;
  }
  if (!(action in ACTIONS)) throw new ConfigError(`unknown ctl action "${action}"\n${ctlUsage}`);
  const command = appCommand(`ctl ${action}`, ACTIONS[action as Action])
    .option('--state-dir <dir>', "the daemon's state directory, as given to it (default $XDG_STATE_HOME/imapfw)")
    .option('--config <file>', "the daemon's --config: only its accounts are shown, and a sync is refused unless the daemon serves them all")
    .option('--json', 'print JSON on standard output');
  if (action === 'sync') command.argument('[folders...]', 'canonical folder names (e.g. INBOX Archive/2026); default: every folder');
  command.parse(rest, { from: 'user' });
  const flags = command.opts<CtlFlags>();
  const daemon = await DaemonClient.connect(flags.stateDir === undefined ? undefined : expandHome(flags.stateDir));
  try {
    return await act(daemon, action as Action, flags, command.args);
  } finally {
    daemon.close();
  }
}

async function act(daemon: DaemonClient, action: Action, flags: CtlFlags, folders: string[]): Promise<number> {
  const print = (json: unknown, text: string) => process.stdout.write(flags.json ? jsonLine(json) : `${text}\n`);
  switch (action) {
    case 'status': {
      const status = await daemon.status();
      const shown = await onlyConfigured(status, flags.config);
      print(shown, formatWatchStatus(shown));
      return ExitCode.OK;
    }
    case 'sync': {
      const status = await daemon.status();
      const accounts = flags.config ? (await onlyConfigured(status, flags.config)).accounts.map((account) => account.account) : undefined;
      const { summary, exitCode } = await daemon.sync({ app: status.app, ...(accounts ? { accounts } : {}), ...(folders.length ? { folders } : {}) });
      const title = `imapfw ${status.app}: a pass run by the daemon (pid ${status.pid})${folders.length ? ` for ${folders.join(', ')}` : ''}`;
      print(summary, formatSummary(title, summary, { complete: 'complete', incomplete: 'INCOMPLETE: the daemon tries again at its next pass (nothing is lost or duplicated)' }));
      return exitCode;
    }
    case 'pause':
      print(await daemon.pause(), 'paused: no pass starts on a change or a poll until `imapfw ctl resume`');
      return ExitCode.OK;
    case 'resume':
      print(await daemon.resume(), 'resumed');
      return ExitCode.OK;
    case 'stop':
      print(await daemon.stop(), 'stopped');
      return ExitCode.OK;
  }
}

/**
 * The status of the accounts of a `--config` file only (named as the
 * daemon's app names them). An account of the file the daemon does not
 * serve is a ConfigError: the file is not this daemon's.
 */
async function onlyConfigured(status: ControlStatus, config: string | undefined): Promise<ControlStatus> {
  if (config === undefined) return status;
  const names = (await loadConfigAccounts<MaildirAppAccountEntry>(config, ['remote', 'maildir'])).map((entry) => accountName(status.app, entry));
  const missing = names.filter((name) => !status.accounts.some((account) => account.account === name));
  if (missing.length) throw new ConfigError(`--config ${config}: the daemon at ${status.socket} does not serve account ${missing.join(', ')}`);
  return { ...status, accounts: status.accounts.filter((account) => names.includes(account.account)) };
}
