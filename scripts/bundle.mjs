// Bundles imapfw's own modules (esbuild) into one file, dist/bundle/imapfw.js, so that a run reads, compiles and links
// one file instead of the ~50 a split build's chunks made it load (docs/performance.md, "Start-up"). Run first by `npm
// run build`; tsc then emits only the declarations (dist/src/**/*.d.ts).
//
// The file exports one loader per entry point: each entry is set up (its modules evaluated) when it is first loaded,
// so a run evaluates what it uses, as before. Every entry point gets a stub at the path tsc would have compiled it to
// (dist/src/cli/main.js loads the CLI's entry and re-exports its names): package.json's exports, bin/imapfw.mjs and
// the modules that find an entry by URL (the CLI its apps, the runtime its worker entry, TaskThreads its thread
// entry) keep the paths they had. Whichever path a module is reached by (the CLI's app, a worker's entry, a user's
// `import 'imapfw'`), it is in the one file once: there is one copy of each of imapfw's classes in a thread.
//
// esbuild hoists every static import of a package to the top of that file, where it loads at every start: what only
// some runs use is required where it is used (src/core/require-on-use.ts).
import { build } from 'esbuild';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTimeEdits } from './load-time-edits.mjs';

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

/** 'cli-main' for src/cli/main.ts: the entry's loader in the bundle. */
const bundleName = (source) => source.replace(/^src\//, '').replace(/\.ts$/, '').replaceAll('/', '-');

/**
 * A module that finds a file next to itself (`new URL('../../vendor/imapflow.js', import.meta.url)`, an entry
 * by its sibling's URL, the package's root) does so from where tsc would have compiled it: every `import.meta.url`
 * of a source file becomes that file's URL under dist/src/, computed from the bundle's folder.
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
const OUTPUT = join(outdir, 'imapfw.js');
const options = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // A package's ES module build where it has one (comlink's main is a UMD script).
  mainFields: ['module', 'main'],
  // Errors name themselves after their class (`this.name = new.target.name`), and threads rebuild them by that name.
  keepNames: true,
  plugins: [dependenciesExternal, loadTimeEdits(LOAD_TIME_EDITS), moduleUrlAsCompiled],
  // The CommonJS code of a bundled package calls require(); an ES module has no require of its own.
  banner: { js: BANNER },
  logLevel: 'warning',
};

// The names each entry point exports, for its stub: from a split build that is not written.
const { metafile } = await build({
  ...options,
  entryPoints: Object.fromEntries(ENTRY_POINTS.map((source) => [bundleName(source), join(root, source)])),
  outdir,
  splitting: true,
  metafile: true,
  write: false,
});
const exportsOf = (source) => {
  const output = Object.values(metafile.outputs).find((meta) => meta.entryPoint && join(root, meta.entryPoint) === join(root, source));
  if (!output) throw new Error(`bundle: no output for ${source}`);
  return output.exports;
};

// A dynamic import() of a bundled module becomes a call that evaluates it (and what it imports) on first use.
const loaders = ENTRY_POINTS.map((source) => `  ${JSON.stringify(bundleName(source))}: () => import(${JSON.stringify(join(root, source))}),`);
await build({
  ...options,
  stdin: { contents: `export const entries = {\n${loaders.join('\n')}\n};\n`, resolveDir: root, sourcefile: 'imapfw-entries.js', loader: 'js' },
  outfile: OUTPUT,
  sourcemap: true,
});

for (const source of ENTRY_POINTS) {
  const stub = join(root, 'dist', source.replace(/\.ts$/, '.js'));
  const target = relative(dirname(stub), OUTPUT).replaceAll('\\', '/');
  const names = exportsOf(source);
  const named = names.filter((name) => name !== 'default');
  const lines = [
    `// ${source}, bundled: see scripts/bundle.mjs.`,
    `import { entries } from '${target}';`,
    `const entry = await entries[${JSON.stringify(bundleName(source))}]();`,
    ...(named.length ? [`export const { ${named.join(', ')} } = entry;`] : []),
    ...(names.includes('default') ? ['export default entry.default;'] : []),
  ];
  await mkdir(dirname(stub), { recursive: true });
  await writeFile(stub, `${lines.join('\n')}\n`);
}
console.log(`bundle: ${relative(root, OUTPUT)}, ${ENTRY_POINTS.length} entry points`);
