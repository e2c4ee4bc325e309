/** Process exit codes of every imapfw app. The README lists them. */
export const ExitCode = {
  /** Everything synced. */
  OK: 0,
  /** Some folders or messages failed; the rest synced. Run again. */
  PARTIAL: 1,
  /** Bad command line or configuration. */
  USAGE: 2,
  /** The server refused the login. */
  AUTH: 3,
  /** The server could not be reached or the connection dropped. Run again later. */
  NETWORK: 4,
  /** The state store is locked by another run or is unreadable. */
  STATE: 5,
  /** `imapfw ctl`: no daemon runs for this state directory. */
  NO_DAEMON: 6,
  /** A worker crashed: a bug. */
  INTERNAL: 70,
  /** Stopped by SIGINT (Ctrl-C). */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM. */
  TERMINATED: 143,
} as const;

/** The exit code for an error that ended an app. */
export function exitCodeFor(error: unknown): number {
  const code = (error as { code?: unknown } | null)?.code;
  switch (code) {
    case 'EAUTH':
      return ExitCode.AUTH;
    case 'ENETWORK':
      return ExitCode.NETWORK;
    case 'ENOSPACE':
      return ExitCode.PARTIAL;
    case 'ECONFIG':
      return ExitCode.USAGE;
    case 'ESTATELOCKED':
    case 'ESTATECORRUPT':
    case 'EDAEMONRUNNING':
      return ExitCode.STATE;
    case 'ENODAEMON':
      return ExitCode.NO_DAEMON;
    case 'ENOTSERVED':
      return ExitCode.USAGE;
    default:
      return ExitCode.INTERNAL;
  }
}
