import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ExitCode, exitCodeFor } from '../api/exit-codes.js';
import { forTerminal } from '../core/output/for-terminal.js';
import { loadApp, runApp } from '../core/runtime/run-app.js';

const here = fileURLToPath(import.meta.url);
const shippedApps = ['mirror', 'sync', 'migrate'] as const;

const usage = `imapfw: mail synchronization apps built from actors in worker threads

usage:
  imapfw mirror  --remote imap[s]://USER@HOST --maildir DIR [options]   server -> Maildir, read-only on the server
  imapfw sync    ...                                                    two-way IMAP <-> Maildir
  imapfw migrate --from imap[s]://... --to imap[s]://... [options]       IMAP -> IMAP migration
  imapfw migrate --batch accounts.csv --queue redis://HOST:PORT[/DB]   put the accounts on a Redis queue, then:
  imapfw worker --queue redis://... [--parallel K]                     migrate queued accounts (on any number of hosts)
  imapfw migrate status|results --queue redis://...                    where a queued batch stands; its results as JSON lines
  imapfw login --provider google|microsoft|oidc --user ADDRESS --client-id ID [--device]
                                   sign in with OAuth2; then give the apps --oauth2 ADDRESS
  imapfw logout --user ADDRESS     forget that login
  imapfw ctl status|sync [FOLDER...]|pause|resume|stop [--state-dir DIR] [--json]
                                   steer the daemon (sync|mirror --watch) of a state directory
  imapfw run MODULE [args...]      run your own app (a module whose default export is defineApp(...))
  imapfw graph APP|MODULE [args]   print an app's workers and channels without starting it
  imapfw APP --help                options of an app

exit codes: 0 ok, 1 partial, 2 usage, 3 auth, 4 network, 5 state, 6 no daemon (ctl), 70 internal, 130 SIGINT, 143 SIGTERM`;

/** A shipped app's name or a path to the user's app module, as a module URL. */
function appModuleUrl(nameOrPath: string): string {
  if ((shippedApps as readonly string[]).includes(nameOrPath)) {
    return new URL(`../apps/${nameOrPath}/app${extname(here)}`, import.meta.url).href;
  }
  return pathToFileURL(resolve(nameOrPath)).href;
}

function version(): string {
  for (const up of ['../../package.json', '../../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(up, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'imapfw') return manifest.version ?? 'unknown';
    } catch {
      // Not this layout (source or dist); try the next.
    }
  }
  return 'unknown';
}

async function graph(target: string, argv: string[]): Promise<number> {
  const [{ describeTopology }, { Runtime }] = await Promise.all([import('../core/runtime/graph.js'), import('../core/runtime/runtime.js')]);
  const moduleUrl = appModuleUrl(target);
  const app = await loadApp(moduleUrl);
  const args = app.parseArgs ? await app.parseArgs(argv) : argv;
  const runtime = new Runtime({ appModule: moduleUrl });
  await app.build(runtime, args);
  runtime.seal();
  process.stdout.write(`app ${app.name}\n${describeTopology(runtime.topology)}\n`);
  return ExitCode.OK;
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (!command || command === '--help' || command === '-h' || command === 'help') {
      process.stdout.write(`${usage}\n`);
      return command ? ExitCode.OK : ExitCode.USAGE;
    }
    if (command === '--version' || command === '-V') {
      process.stdout.write(`${version()}\n`);
      return ExitCode.OK;
    }
    if (command === 'graph' || command === 'run') {
      const [target, ...args] = rest;
      const synopsis = usage.split('\n').find((line) => line.trimStart().startsWith(`imapfw ${command} `))!.trim();
      if (target === '--help' || target === '-h') {
        process.stdout.write(`${synopsis}\n`);
        return ExitCode.OK;
      }
      if (!target || target.startsWith('-')) {
        process.stderr.write(`imapfw ${command}: name an app or a module first${target ? `, not the option "${target}"` : ''}\n${synopsis}\n`);
        return ExitCode.USAGE;
      }
      return command === 'graph' ? await graph(target, args) : await runApp(appModuleUrl(target), args);
    }
    if (command === 'ctl') return await (await import('./ctl.js')).ctl(rest);
    if (command === 'login' || command === 'logout') {
      const { login, logout } = await import('./login.js');
      return await (command === 'login' ? login(rest) : logout(rest));
    }
    if (command === 'worker') {
      const { runQueueWorker } = await import('../apps/migrate/queue/worker.js');
      return await runQueueWorker(rest, appModuleUrl('migrate'));
    }
    if (command === 'migrate' && rest[0] === 'status') return await (await import('../apps/migrate/queue/status.js')).runQueueStatus(rest.slice(1));
    if (command === 'migrate' && rest[0] === 'results') return await (await import('../apps/migrate/queue/results.js')).runQueueResults(rest.slice(1));
    if ((shippedApps as readonly string[]).includes(command)) return await runApp(appModuleUrl(command), rest);
    process.stderr.write(`imapfw: unknown command "${command}"\n\n${usage}\n`);
    return ExitCode.USAGE;
  } catch (error) {
    process.stderr.write(`imapfw: ${forTerminal((error as Error).message)}\n`);
    return exitCodeFor(error);
  }
}
