#!/usr/bin/env node
// `npm run demo [-- DIR]`: a newcomer's first five minutes. Starts a
// throw-away Dovecot (the tests' fixture) with a generated mailbox, runs
// `imapfw mirror` into ./demo-mail (or DIR) with its progress bars and
// summary, tells how to mirror your own server, and stops Dovecot.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const DEFAULT_DIR = 'demo-mail';
const USER = 'demo';
const PASSWORD = 'demo-password';
/** Folder -> messages: a few folders, a few hundred messages. */
const MAILBOX = { INBOX: 160, 'Archive/2024': 120, 'Lists/dev': 90, Sent: 40 };
const FLAG_SETS = [[], ['\\Seen'], ['\\Seen'], ['\\Seen', '\\Flagged'], ['\\Seen', '\\Answered'], []];

const target = resolve(process.argv[2] ?? DEFAULT_DIR);
// Reusing ./demo-mail, or a Maildir an earlier demo made, is fine (the same messages are found again, nothing is copied twice);
// a directory you name must otherwise be new.
if (process.argv[2] && existsSync(target) && readdirSync(target).length > 0 && !existsSync(resolve(target, 'cur'))) {
  process.stderr.write(`imapfw demo: ${target} is not empty and no Maildir: name a new directory, e.g. npm run demo -- /tmp/demo-mail\n`);
  process.exit(2);
}

// The fixture is TypeScript: load it through tsx, as bin/imapfw.mjs does for a source checkout.
const { register } = await import('tsx/esm/api');
register();
const { startDovecot } = await import('../test/support/dovecot.ts');
const { dropIntoMaildir, makeMessage } = await import('../test/support/messages.ts');

/** The same messages on every run (fixed Message-IDs, dates and sizes), from 1 kB to 20 kB, every 25th 300 kB. */
function messagesOf(folder, count) {
  return Array.from({ length: count }, (_, i) => {
    const date = new Date(Date.UTC(2024, 0, 1) + i * 7_200_000);
    return {
      raw: makeMessage({
        messageId: `<demo.${folder.replace('/', '.')}.${i}@imapfw.example>`,
        subject: `${folder} message ${i + 1}`,
        date,
        size: i % 25 === 24 ? 300_000 : 1_000 + ((i * 7919) % 19_000),
      }),
      flags: FLAG_SETS[i % FLAG_SETS.length],
      internalDate: date,
    };
  });
}

let server;
try {
  process.stdout.write('Starting a throw-away Dovecot IMAP server on 127.0.0.1...\n');
  server = await startDovecot({ users: { [USER]: PASSWORD } });
} catch (error) {
  const hint = /apt-get/.test(error.message) ? '' : ' (the demo needs Dovecot: apt-get install dovecot-imapd)';
  process.stderr.write(`imapfw demo: cannot start Dovecot: ${error.message}${hint}\n`);
  process.exit(1);
}

const stateDir = mkdtempSync(join(tmpdir(), 'imapfw-demo-state-'));
let code = 1;
try {
  let total = 0;
  for (const [folder, count] of Object.entries(MAILBOX)) {
    await dropIntoMaildir(server, USER, folder, messagesOf(folder, count));
    total += count;
  }
  // ./demo-mail as the user typed it; a directory outside the working directory as its full path.
  const inside = relative(process.cwd(), target);
  const where = inside && !inside.startsWith('..') ? `./${inside}` : target;
  process.stdout.write(`Generated ${total} messages in ${Object.keys(MAILBOX).length} folders (${Object.keys(MAILBOX).join(', ')}).\n`);
  process.stdout.write(`Mirroring ${server.url(USER)} into ${where}:\n\n`);

  const cli = fileURLToPath(new URL('imapfw.mjs', import.meta.url));
  const args = ['mirror', '--remote', server.url(USER), '--maildir', target, '--password-env', 'IMAPFW_DEMO_PASSWORD', '--state-dir', stateDir];
  process.stdout.write(`  imapfw ${args.join(' ').replace(stateDir, '<temp dir>')}\n\n`);
  // Inherited stdio: on a terminal the mirror draws its progress bars.
  const child = spawn(process.execPath, [cli, ...args], { stdio: 'inherit', env: { ...process.env, IMAPFW_DEMO_PASSWORD: PASSWORD } });
  // Ctrl-C reaches the mirror too (same process group): let it stop cleanly, then stop Dovecot.
  process.on('SIGINT', () => {});
  code = await new Promise((done) => child.once('close', (status) => done(status ?? 1)));

  if (code === 0) {
    process.stdout.write(`
The Maildir ${where} now mirrors the demo server: open it with mutt, neomutt
or notmuch, or look at ${where}/cur. Run \`npm run demo${process.argv[2] ? ` -- ${process.argv[2]}` : ''}\` again: nothing is
copied twice.

Now your own server (read-only there: imapfw mirror never writes to it):

  export MAIL_PASSWORD=...          # or --password-command 'pass show mail'
  npx imapfw mirror --remote imaps://you@mail.example.org --maildir ~/Mail --password-env MAIL_PASSWORD

Run it again at any time: only what changed is fetched. --dry-run shows what
it would do, --folders/--exclude choose folders, --help lists every option.
`);
  }
} finally {
  await server.stop();
  rmSync(stateDir, { recursive: true, force: true });
}
process.exitCode = code;
