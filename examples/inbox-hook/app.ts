import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  ConfigError,
  declareSyncTopology,
  defineApp,
  forTerminal,
  lazy,
  mirrorPolicy,
  watchTopologies,
  type AccountPass,
  type SyncTopology,
} from 'imapfw';

interface Args {
  remote: string;
  maildir: string;
  passwordEnv: string;
  stateDir?: string;
  /** Run with each new INBOX message's path as $1 (default: print its From and Subject). */
  command?: string;
}

let topology: SyncTopology | undefined;

/**
 * A daemon built on the watch engine: mirrors an account into a Maildir and
 * keeps it current (NOTIFY or IDLE, reconnecting after an outage or a
 * sleep), and runs an action on every message new in INBOX.
 *
 *   imapfw run examples/inbox-hook/app.ts -- --remote imaps://me@mail.example.org --maildir ~/Mail --password-env MAIL_PW \
 *     --command 'notify-send "New mail" "$(grep -m1 ^Subject: "$1")"'
 *
 * Stop it with SIGTERM or Ctrl-C.
 */
export default defineApp<Args>({
  name: 'inbox-hook',
  description: 'Mirror an account all day and run an action on every new INBOX message.',
  actors: {
    imap: lazy(async () => (await import('imapfw')).ImapRepository),
    watch: lazy(async () => (await import('imapfw')).ImapWatch),
    maildir: lazy(async () => (await import('imapfw')).MaildirRepository),
    state: lazy(async () => (await import('imapfw')).StateRepository),
    engine: lazy(async () => (await import('imapfw')).SyncFolder),
    account: lazy(async () => (await import('imapfw')).SyncAccount),
  },

  parseArgs(argv) {
    const { values } = parseArgs({
      args: argv[0] === '--' ? argv.slice(1) : argv,
      options: { remote: { type: 'string' }, maildir: { type: 'string' }, 'password-env': { type: 'string' }, 'state-dir': { type: 'string' }, command: { type: 'string' } },
    });
    for (const name of ['remote', 'maildir', 'password-env'] as const) if (!values[name]) throw new ConfigError(`--${name} is required`);
    return {
      remote: values.remote!,
      maildir: values.maildir!,
      passwordEnv: values['password-env']!,
      ...(values['state-dir'] ? { stateDir: values['state-dir'] } : {}),
      ...(values.command ? { command: values.command } : {}),
    };
  },

  build(runtime, args) {
    const server = { url: args.remote, password: { env: args.passwordEnv }, readOnly: true };
    topology = declareSyncTopology(runtime, {
      connections: 2,
      left: { key: 'imap', options: server },
      right: { key: 'maildir', shared: true, options: { root: args.maildir, create: true } },
      state: { key: 'state', options: { account: 'inbox-hook', ...(args.stateDir ? { stateDir: args.stateDir } : {}) } },
      engine: { key: 'engine', options: { policy: mirrorPolicy() } },
      account: { key: 'account', options: { create: { left: false, right: true }, remove: { left: false, right: false } } },
      // The watch engine's own connection to the server (NOTIFY or IDLE).
      watch: { server: { key: 'watch', options: server } },
      logger: { pretty: process.stderr.isTTY === true },
    });
  },

  async run(runtime, args) {
    const seen = new Set((await inboxFiles(args.maildir)).keys());
    const daemon = watchTopologies(runtime, 'inbox-hook', [{ topology: topology!, account: 'inbox-hook', remote: args.remote, maildir: args.maildir }], {
      logger: runtime.logger,
      // After each pass: the INBOX files not seen before are the new messages.
      onPass: async (pass: AccountPass) => {
        if (!pass.report.folders.some((folder) => folder.left === 'INBOX' && folder.copied.right > 0)) return;
        for (const [unique, file] of await inboxFiles(args.maildir)) {
          if (seen.has(unique)) continue;
          seen.add(unique);
          await onNewMessage(file, args.command);
        }
      },
    });
    for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void daemon.stop());
    daemon.start();
    await daemon.stopped;
    return 0;
  },
});

/** INBOX's message files (the Maildir's root) by unique name: a flag change renames a file, it is not a new message. */
async function inboxFiles(maildir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const sub of ['new', 'cur']) {
    for (const name of await readdir(join(maildir, sub)).catch(() => [])) files.set(name.replace(/:2,.*$/, ''), join(maildir, sub, name));
  }
  return files;
}

async function onNewMessage(file: string, command: string | undefined): Promise<void> {
  if (command) {
    await new Promise<void>((resolve) => spawn('/bin/sh', ['-c', command, 'inbox-hook', file], { stdio: 'inherit' }).on('close', () => resolve()));
    return;
  }
  const head = (await readFile(file, 'latin1')).split(/\r?\n\r?\n/, 1)[0] ?? '';
  const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.*)$`, 'im').exec(head)?.[1]?.trim() ?? '';
  // Server text is data: escaped before it reaches a terminal.
  process.stdout.write(`${forTerminal(`new in INBOX: ${field('From')} | ${field('Subject')}`)}\n`);
}
