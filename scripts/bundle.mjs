// Bundles imapfw's own modules (esbuild, code splitting) into dist/bundle/: one file per entry point plus the chunks
// they share, so a run loads a few files instead of ~125 (docs/performance.md, "Start-up"). Run first by `npm run build`; tsc
// then emits only the declarations (dist/src/**/*.d.ts).
//
// Every entry point gets a stub at the path tsc would have compiled it to (dist/src/cli/main.js re-exports
// dist/bundle/cli-main.js): package.json's exports, bin/imapfw.mjs and the modules that find an entry by URL (the
// CLI its apps, the runtime its worker entry, TaskThreads its thread entry) keep the paths they had. A stub
// re-exports the bundle's module, so whichever path a module is imported by (the CLI's app, a worker's entry, a
// user's `import 'imapfw'`), it is one module: there is one copy of each of imapfw's classes in a thread.
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTimeEdits } from './load-time-edits.mjs';
import { skipReExportChunks } from './skip-re-export-chunks.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = join(root, 'dist', 'bundle');

/** Every module something imports by its path or URL rather than by a static import. */
const ENTRY_POINTS = [
  'src/cli/main.ts',
  'src/api/index.ts',
  'src/contrib/index.ts',
  'src/apps/mirror/app.ts',
  'src/apps/sync/app.ts',
  'src/apps/migrate/app.ts',
  'src/apps/migrate/account-task.ts',
  'src/core/runtime/worker-entry.ts',
  'src/api/threads/task-thread.ts',
];

/** dist/bundle/cli-main.js for src/cli/main.ts: entries and chunks all in one folder (see moduleUrlAsCompiled). */
const bundleName = (source) => source.replace(/^src\//, '').replace(/\.ts$/, '').replaceAll('/', '-');

/**
 * A module that finds a file next to itself (`new URL('../../vendor/imapflow.js', import.meta.url)`, an entry
 * by its sibling's URL, the package's root) does so from where tsc would have compiled it: every `import.meta.url`
 * of a source file becomes that file's URL under dist/src/, computed from the bundle's folder, where every output
 * file of the bundle lives whichever chunk the module lands in.
 */
const moduleUrlAsCompiled = {
  name: 'module-url-as-compiled',
  setup(bundle) {
    bundle.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const compiled = relative(outdir, join(root, 'dist', relative(root, args.path))).replaceAll('\\', '/').replace(/\.ts$/, '.js');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(compiled)}, import.meta.url).href`), loader: 'ts' };
    });
  },
};

/**
 * Dependencies load from node_modules as they are (imapflow from its own bundle, scripts/bundle-imapflow.mjs), but
 * for those every run loads at start: pino (the main thread and every worker), commander (every CLI run) and
 * comlink (every thread), bundled with their own dependencies (about 30 CommonJS files), where loading each package
 * took 10-40 ms of CPU. pino's transports, which resolve their worker files from pino's own folder, are never used:
 * imapfw's loggers write to their own destinations (src/core/logging).
 */
const BUNDLED_PACKAGES = new Set(['pino', 'commander', 'comlink']);

/** What pino loads at start and imapfw's loggers never use waits for its first use (see load-time-edits.mjs). */
const LOAD_TIME_EDITS = [
  {
    // The worker thread's stream of pino's transports.
    file: /[\\/]pino[\\/]lib[\\/]transport\.js$/,
    warning: 'pino changed: thread-stream loads at start',
    replace: [
      ["const ThreadStream = require('thread-stream')", "const threadStream = () => require('thread-stream')"],
      ['new ThreadStream(', 'new (threadStream())('],
    ],
  },
  {
    // sonic-boom's one assertion, on a file descriptor's type (Node's assert module, loaded for it, costs more).
    file: /[\\/]sonic-boom[\\/]index\.js$/,
    warning: 'sonic-boom changed: assert loads at start',
    replace: [["const assert = require('assert')", "const assert = (...args) => require('assert')(...args)"]],
  },
  {
    // commander's child processes run a subcommand that is a program of its own; imapfw's are functions.
    file: /[\\/]commander[\\/]lib[\\/]command\.js$/,
    warning: 'commander changed: child_process loads at start',
    replace: [
      ["const childProcess = require('node:child_process');", "const childProcess = { spawn: (...args) => require('node:child_process').spawn(...args) };"],
    ],
  },
];
const dependenciesExternal = {
  name: 'dependencies-external',
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, (args) => {
      const fromPackage = /[\\/]node_modules[\\/]/.test(args.importer);
      if (isBuiltin(args.path) || !(fromPackage || BUNDLED_PACKAGES.has(args.path))) return { path: args.path, external: true };
      return undefined;
    });
  },
};

// The whole of dist/ goes: a module an earlier tsc build compiled, left next to the bundle, would be a second copy.
await rm(join(root, 'dist'), { recursive: true, force: true });
const BANNER = "import { createRequire as imapfwCreateRequire } from 'node:module'; const require = imapfwCreateRequire(import.meta.url);";
const { metafile } = await build({
  entryPoints: Object.fromEntries(ENTRY_POINTS.map((source) => [bundleName(source), join(root, source)])),
  outdir,
  chunkNames: 'chunk-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A package's ES module build where it has one (comlink's main is a UMD script).
  mainFields: ['module', 'main'],
  // Errors name themselves after their class (`this.name = new.target.name`), and threads rebuild them by that name.
  keepNames: true,
  sourcemap: true,
  plugins: [dependenciesExternal, loadTimeEdits(LOAD_TIME_EDITS), moduleUrlAsCompiled],
  metafile: true,
  // The CommonJS code of a bundled package calls require(); an ES module has no require of its own.
  banner: { js: BANNER },
  logLevel: 'warning',
});

const skipped = skipReExportChunks(outdir, BANNER);

for (const source of ENTRY_POINTS) {
  const output = Object.entries(metafile.outputs).find(([, meta]) => meta.entryPoint && join(root, meta.entryPoint) === join(root, source));
  if (!output) throw new Error(`bundle: no output for ${source}`);
  const stub = join(root, 'dist', source.replace(/\.ts$/, '.js'));
  const target = relative(dirname(stub), join(root, output[0])).replaceAll('\\', '/');
  const lines = [`// ${source}, bundled: see scripts/bundle.mjs.`, `export * from '${target}';`];
  if (output[1].exports.includes('default')) lines.push(`export { default } from '${target}';`);
  await mkdir(dirname(stub), { recursive: true });
  await writeFile(stub, `${lines.join('\n')}\n`);
}
console.log(`bundle: ${Object.keys(metafile.outputs).filter((name) => name.endsWith('.js')).length - skipped} files in ${basename(outdir)}/ (${skipped} re-export chunks skipped)`);
