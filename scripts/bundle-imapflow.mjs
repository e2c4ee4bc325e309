// Bundles imapflow and its dependencies into one module, dist/src/vendor/imapflow.js.
// Loading imapflow's ~60 separate modules is the largest part of an IMAP
// worker's start-up; one bundled file loads in less than half the CPU time
// (README, "Start-up"). src/core/imap/load-imapflow.ts prefers the bundle.
import { build } from 'esbuild';
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/src/vendor/imapflow.js`;

/**
 * imapflow imports libmime, libbase64 and libqp as ES modules, and mailsplit requires them as CommonJS: bundled as
 * each asks, each is in the bundle twice, and both copies run their set-up at load (libmime builds its MIME type
 * tables). Resolving every import of a dependency as `require` does keeps one copy of each. A package without a
 * CommonJS entry resolves as imported, and so does imapflow itself, whose named exports come from its ES module.
 */
const oneCopyPerPackage = {
  name: 'one-copy-per-package',
  setup(bundle) {
    bundle.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'import-statement' || args.pluginData === 'as-required' || args.path === 'imapflow') return undefined;
      const required = await bundle.resolve(args.path, { kind: 'require-call', resolveDir: args.resolveDir, importer: args.importer, pluginData: 'as-required' });
      return required.errors.length > 0 ? undefined : { path: required.path, external: required.external };
    });
  },
};

await build({
  stdin: { contents: "export * from 'imapflow'; export { default } from 'imapflow';", resolveDir: root, sourcefile: 'imapflow-entry.js' },
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [oneCopyPerPackage],
  // Not minified: it loaded no faster (README, "Start-up"), and stack traces stay readable.
  minify: false,
  // imapflow's CommonJS dependencies call require() for Node's built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as imapfwCreateRequire } from 'node:module'; const require = imapfwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});

// esbuild escapes the non-ASCII characters of code (its default charset is ASCII) but not those of the comments it
// keeps. A file of ASCII only is decoded and parsed as one-byte text: about half the time of Node's UTF-8 decoding
// and a smaller source string.
const text = await readFile(outfile, 'utf8');
await writeFile(outfile, text.replace(/[^\x00-\x7f]/gu, (char) => `\\u{${char.codePointAt(0).toString(16)}}`));
