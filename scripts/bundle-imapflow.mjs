// Bundles imapflow and its dependencies into one module, dist/src/vendor/imapflow.js.
// Loading imapflow's ~60 separate modules is the largest part of an IMAP
// worker's start-up; one bundled file loads in less than half the CPU time
// (README, "Start-up"). src/core/imap/load-imapflow.ts prefers the bundle.
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
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

/**
 * libmime looks up iconv-lite's GBK codec when it loads, only to learn the class of its double-byte decoders,
 * and building that codec's tables cost 30-40 ms of CPU and 8 MB at every start, in every run that loads
 * imapflow. Here the lookup waits for the first double-byte charset libmime decodes. Should libmime's text
 * change, the file is bundled as it is (slower to load, as correct) and the build says so.
 */
const DBCS_LOOKUP = "const DBCS_DECODER = iconv_lite_1.default.getCodec('gbk').decoder;";
const DBCS_CHECK = 'codec.decoder === DBCS_DECODER';
const lazyDbcsDecoder = {
  name: 'lazy-dbcs-decoder',
  setup(bundle) {
    bundle.onLoad({ filter: /[\\/]libmime[\\/]dist[\\/]cjs[\\/]charset\.js$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      if (source.split(DBCS_LOOKUP).length !== 2 || source.split(DBCS_CHECK).length !== 2) {
        return { contents: source, loader: 'js', warnings: [{ text: 'libmime changed: its GBK codec is built at load' }] };
      }
      const lazy = "let dbcsDecoder; const DBCS_DECODER = () => (dbcsDecoder ??= iconv_lite_1.default.getCodec('gbk').decoder);";
      return { contents: source.replace(DBCS_LOOKUP, lazy).replace(DBCS_CHECK, 'codec.decoder === DBCS_DECODER()'), loader: 'js' };
    });
  },
};

const { outputFiles } = await build({
  stdin: { contents: "export * from 'imapflow'; export { default } from 'imapflow';", resolveDir: root, sourcefile: 'imapflow-entry.js' },
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [oneCopyPerPackage, lazyDbcsDecoder],
  // Not minified: it loaded no faster (README, "Start-up"), and stack traces stay readable.
  minify: false,
  // imapflow's CommonJS dependencies call require() for Node's built-ins; an ES module has no require of its own.
  banner: { js: "import { createRequire as imapfwCreateRequire } from 'node:module'; const require = imapfwCreateRequire(import.meta.url);" },
  logLevel: 'warning',
  write: false,
});

// esbuild escapes the non-ASCII characters of code (its default charset is ASCII) but not those of the comments it
// keeps. A file of ASCII only is decoded and parsed as one-byte text: about half the time of Node's UTF-8 decoding
// and a smaller source string.
await mkdir(dirname(outfile), { recursive: true });
await writeFile(outfile, outputFiles[0].text.replace(/[^\x00-\x7f]/gu, (char) => `\\u{${char.codePointAt(0).toString(16)}}`));
