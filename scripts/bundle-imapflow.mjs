// Bundles imapflow and its dependencies into one module, dist/src/vendor/imapflow.js.
// Loading imapflow's ~60 separate modules is the largest part of an IMAP
// worker's start-up; one bundled file loads in less than half the CPU time
// (README, "Start-up"). src/core/imap/load-imapflow.ts prefers the bundle.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
await build({
  stdin: { contents: "export * from 'imapflow'; export { default } from 'imapflow';", resolveDir: root, sourcefile: 'imapflow-entry.js' },
  outfile: `${root}dist/src/vendor/imapflow.js`,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // Not minified: it loaded no faster (README, "Start-up"), and stack traces stay readable.
  minify: false,
  // imapflow's CommonJS dependencies call require() for Node's built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as imapfwCreateRequire } from 'node:module'; const require = imapfwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
