// Bundles imapflow into dist/src/vendor/imapflow.js and the CommonJS packages its modules import into
// dist/src/vendor/imapflow-deps.cjs, loaded on their first use.
// Loading imapflow's ~60 separate modules is the largest part of an IMAP
// worker's start-up; one bundled file loads in less than half the CPU time
// (docs/performance.md, "Start-up"). src/core/imap/load-imapflow.ts prefers the bundle.
import { build } from 'esbuild';
import { mkdir, writeFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadTimeEdits } from './load-time-edits.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const outfile = `${root}dist/src/vendor/imapflow.js`;
const DEPS_FILE = 'imapflow-deps.cjs';

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

/** Node's TLS as imapflow uses it (`tls.connect` only), loaded at the first encrypted connection. */
const LAZY_TLS = "const tls = { connect: (...args) => require('node:tls').connect(...args) };";

/** What a run never uses waits for its first use (see load-time-edits.mjs). */
const LOAD_TIME_EDITS = [
  {
    // libmime looks up iconv-lite's GBK codec when it loads, only to learn the class of its double-byte decoders,
    // and building that codec's tables cost 30-40 ms of CPU and 8 MB at every start. The lookup waits for the
    // first double-byte charset libmime decodes.
    file: /[\\/]libmime[\\/]dist[\\/]cjs[\\/]charset\.js$/,
    warning: 'libmime changed: its GBK codec is built at load',
    replace: [
      [
        "const DBCS_DECODER = iconv_lite_1.default.getCodec('gbk').decoder;",
        "let dbcsDecoder; const DBCS_DECODER = () => (dbcsDecoder ??= iconv_lite_1.default.getCodec('gbk').decoder);",
      ],
      ['codec.decoder === DBCS_DECODER', 'codec.decoder === DBCS_DECODER()'],
    ],
  },
  {
    // The SOCKS client (with its IP address parser) only serves a connection through a SOCKS proxy; it loads when
    // the first one opens. (esbuild bundles the require(): the module's set-up runs at that call.)
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]proxy-connection\.js$/,
    warning: 'imapflow changed: its SOCKS client loads at start',
    replace: [
      ["import { SocksClient } from 'socks';", "const socksClient = () => require('socks').SocksClient;"],
      ['SocksClient.createConnection(', 'socksClient().createConnection('],
    ],
  },
  {
    // Node's TLS (with what it loads: 6 modules, about 3 ms) serves only an encrypted connection, zlib only COMPRESS
    // =DEFLATE; a plaintext session (a server on the same host, a run on an empty account in the benchmark) uses neither.
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]imap-flow\.js$/,
    warning: 'imapflow changed: Node\'s TLS and zlib load at start',
    replace: [
      ["import tls from 'node:tls';", LAZY_TLS],
      ["import zlib from 'node:zlib';", "const zlib = new Proxy({}, { get: (_, key) => require('node:zlib')[key] });"],
      // zlib is looked at only when the server offers COMPRESS=DEFLATE: without it, the COMPRESS command is skipped anyway.
      ["        if (typeof zlib.createDeflateRaw !== 'function') {", "        if (this.capabilities.has('COMPRESS=DEFLATE') && typeof zlib.createDeflateRaw !== 'function') {"],
    ],
  },
  {
    // The proxy connection's TLS and DNS lookups serve only a connection through a proxy.
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]proxy-connection\.js$/,
    warning: 'imapflow changed: its proxy connection loads Node\'s TLS and DNS at start',
    replace: [
      ["import dns from 'node:dns';", "const dns = { promises: { lookup: (...args) => require('node:dns').promises.lookup(...args) } };"],
      ["import tls from 'node:tls';", LAZY_TLS],
    ],
  },
  {
    // imapflow's own pino only makes the logger of a connection given none (imapfw always gives one).
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]logger\.js$/,
    warning: 'imapflow changed: its pino loads at start',
    replace: [
      ["import pino from 'pino';", "const pino = (options) => require('pino')(options);"],
    ],
  },
];

/**
 * Work imapflow does for every FETCH response of a listing or a copy (about 5% of an initial mirror's CPU in a
 * profile), done more cheaply with the same results (test/imap/imapflow-bundle.test.ts compares the bundle's
 * answers with the package's):
 * - each item's name went through the command compiler (a Buffer per name, then a string again) to make the key it
 *   is filed under: a plain name (letters, digits, dots, dashes: UID, FLAGS, RFC822.SIZE, MODSEQ...) is its own key,
 *   lower-cased, as the compiler would write it, and so is a plain name with a section of plain names and a flat
 *   list of them (`body[]`, `body[header.fields (message-id)]`: scripts/imapflow-item-key.mjs); any other name (a
 *   partial, a quoted part) still goes through the compiler;
 * - INTERNALDATE's validity was checked by formatting the date as text and comparing it with "Invalid Date": its
 *   time value is read instead;
 * - each message's id (an MD5 of its folder, UIDVALIDITY and UID) takes a one-shot hash (`crypto.hash`, Node 20.12
 *   and later) instead of a Hash object;
 * - a FETCH line of atoms, plain quoted strings, flat lists, sections and literals (a listing's, a change listing's,
 *   a STORE's answer, a body's) is read in one pass over its bytes (scripts/imapflow-fetch-line.mjs) instead of by
 *   the tokenizer; any other line goes to the tokenizer as before.
 */
const HOT_PATH_EDITS = [
  {
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]handler[\\/]imap-parser\.js$/,
    warning: 'imapflow changed: every FETCH line goes through its tokenizer (slower)',
    replace: [
      [
        "import imapFormalSyntax from './imap-formal-syntax.js';",
        `import imapFormalSyntax from './imap-formal-syntax.js';\nimport { readFetchLine as imapfwReadFetchLine } from ${JSON.stringify(join(root, 'scripts', 'imapflow-fetch-line.mjs'))};`,
      ],
      [
        `export default async function parser(command, options) {
    options = options || {};`,
        `export default async function parser(command, options) {
    const imapfwFetchLine = imapfwReadFetchLine(command, options && options.literals);
    if (imapfwFetchLine) {
        return imapfwFetchLine;
    }
    options = options || {};`,
      ],
    ],
  },
  {
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]tools\.js$/,
    warning: 'imapflow changed: its FETCH responses are read as the package reads them (slower)',
    replace: [
      [
        "import { createHash } from 'node:crypto';",
        "import { createHash } from 'node:crypto';\nimport * as imapfwCrypto from 'node:crypto';\n" +
          "const imapfwHexHash = imapfwCrypto.hash ?? ((algorithm, text) => createHash(algorithm).update(text).digest('hex'));",
      ],
      [
        'export async function formatMessageResponse(untagged, mailbox, idHashAlgorithm, connection) {',
        `import { plainItemKey as imapfwPlainKey } from ${JSON.stringify(join(root, 'scripts', 'imapflow-item-key.mjs'))};\n` +
          'export async function formatMessageResponse(untagged, mailbox, idHashAlgorithm, connection) {',
      ],
      [
        `            key = compiler({
                attributes: [attribute]
            })
                .toString()
                .toLowerCase()`,
        '            key = imapfwPlainKey(attribute) ?? compiler({ attributes: [attribute] }).toString().toLowerCase()',
      ],
      [
        `                let date = new Date(value);
                if (date.toString() === 'Invalid Date') {
                    map.internalDate = value;`,
        `                let date = new Date(value);
                if (Number.isNaN(date.getTime())) {
                    map.internalDate = value;`,
      ],
      [
        `                createHash(idHashAlgorithm || 'md5')
                    .update([path, mailbox.uidValidity?.toString() || '', map.uid.toString()].join(':'))
                    .digest('hex');`,
        `                imapfwHexHash(idHashAlgorithm || 'md5', [path, mailbox.uidValidity?.toString() || '', map.uid.toString()].join(':'));`,
      ],
    ],
  },
];

/**
 * imapflow's ES modules import CommonJS packages (libmime and iconv-lite, mailsplit, libqp, libbase64, encoding-japanese,
 * its flowed-text decoder) that only decoding a message's parts, encoded words or a non-ASCII folder name uses; esbuild
 * runs each one's set-up where it is imported, at load. Each import becomes an object that sets the package up
 * when one of its exports is first read.
 */
const IMPORTED_COMMONJS = /^var (import_\w+) = __toESM\((require_\w+)\(\), 1\);$/gm;
function setUpOnFirstUse(text) {
  const edited = text.replace(IMPORTED_COMMONJS, 'var $1 = imapfwOnFirstUse($2);');
  if (edited === text) console.warn('bundle-imapflow: no CommonJS import found to set up on first use (esbuild changed?)');
  return edited;
}
const ON_FIRST_USE = 'const imapfwOnFirstUse = (setUp) => { let module; return new Proxy({}, { get: (_, key) => (module ??= __toESM(setUp(), 1))[key] }); };';

/**
 * The packages imapflow's modules import (libmime with iconv-lite, mailsplit, libqp, libbase64, encoding-japanese, the
 * SOCKS client, imapflow's own pino: 1.2 of the 1.65 MB) only decode a message's parts, encoded words or a non-ASCII
 * folder name, or serve a proxy or a connection given no logger. They go to a second file, a CommonJS bundle that
 * exports a function per package setting it up; each import in imapflow.js becomes a module that requires that file
 * and calls its function (set up on first use below): a run that never decodes never reads the second file, and
 * V8 parses a third of the text at every start. Both files keep one copy of each package.
 */
function depsInSecondFile(deps) {
  return {
    name: 'deps-in-second-file',
    setup(bundle) {
      bundle.onResolve({ filter: /^[^./]/ }, (args) => {
        if (args.path === 'imapflow' || isBuiltin(args.path) || args.namespace === 'imapflow-deps') return undefined;
        deps.add(args.path);
        return { path: args.path, namespace: 'imapflow-deps' };
      });
      // The second file, required by these modules, is loaded at run time.
      bundle.onResolve({ filter: /.*/, namespace: 'imapflow-deps' }, (args) => ({ path: args.path, external: true }));
      bundle.onLoad({ filter: /.*/, namespace: 'imapflow-deps' }, (args) => ({
        contents: `module.exports = require('./${DEPS_FILE}')[${JSON.stringify(args.path)}]();`,
        loader: 'js',
      }));
    },
  };
}

/**
 * esbuild escapes the non-ASCII characters of code (its default charset is ASCII) but not those of the comments it
 * keeps. A file of ASCII only is decoded and parsed as one-byte text: about half the time of Node's UTF-8 decoding
 * and a smaller source string.
 */
const asciiOnly = (text) => text.replace(/[^\x00-\x7f]/gu, (char) => `\\u{${char.codePointAt(0).toString(16)}}`);

/**
 * Round trips imapflow spends that the server said it need not: with SASL-IR (RFC 4959) advertised, AUTHENTICATE
 * PLAIN carries its response on the command line instead of waiting for the server's "+" (imapflow already does
 * so for OAUTHBEARER and XOAUTH2): one round trip less per login, on the path of every run. The response is a
 * sensitive attribute, hidden from the command log as the OAuth2 one is. A server that asks for more all the same
 * gets "*", the cancel of RFC 9051 6.2.2, and the login fails as refused.
 */
const ROUND_TRIP_EDITS = [
  {
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]commands[\\/]authenticate\.js$/,
    warning: 'imapflow changed: AUTHENTICATE PLAIN waits for the server\'s "+" even with SASL-IR',
    replace: [
      [
        `        let response = await connection.exec('AUTHENTICATE', [{ type: 'ATOM', value: 'PLAIN' }], {
            onPlusTag: async () => {`,
        `        let imapfwInitial = connection.capabilities.has('SASL-IR') ? Buffer.from([authzid || '', username, password].join('\\x00')).toString('base64') : null;
        let response = await connection.exec('AUTHENTICATE', imapfwInitial ? [{ type: 'ATOM', value: 'PLAIN' }, { type: 'ATOM', value: imapfwInitial, sensitive: true }] : [{ type: 'ATOM', value: 'PLAIN' }], {
            onPlusTag: async () => {
                if (imapfwInitial) {
                    connection.write('*');
                    return;
                }`,
      ],
    ],
  },
];

/**
 * imapflow sorts a listing with localeCompare(), and a process's first call sets ICU's collator up: 8-13 ms of every
 * run whose account has two folders or more, on both Nodes. imapfw orders folder names itself (code units) and reads
 * no order from the listing, so the listing comes back in code-unit order. The special-use candidates keep imapflow's
 * order wherever it can change which folder gets which use (scripts/imapflow-list-order.mjs); elsewhere any fixed
 * order gives the same uses.
 */
const LIST_ORDER = JSON.stringify(join(root, 'scripts', 'imapflow-list-order.mjs'));
const START_UP_EDITS = [
  {
    file: /[\\/]imapflow[\\/]dist[\\/]esm[\\/]commands[\\/]list\.js$/,
    warning: 'imapflow changed: its LIST sets ICU\'s collator up (8-13 ms a run)',
    replace: [
      [
        "import { specialUse } from '../special-use.js';",
        `import { specialUse } from '../special-use.js';\nimport { codeUnitOrder as imapfwCodeUnitOrder, specialUsePathsCompete as imapfwPathsCompete } from ${LIST_ORDER};`,
      ],
      [
        `        let candidates = Object.entries(specialUseMatches).flatMap(([type, matches]) => matches.map(match => ({ type, ...match })));
        candidates.sort((a, b) => {`,
        `        let candidates = Object.entries(specialUseMatches).flatMap(([type, matches]) => matches.map(match => ({ type, ...match })));
        let imapfwCollate = imapfwPathsCompete(candidates, SOURCE_SORT_ORDER);
        candidates.sort((a, b) => {`,
      ],
      [
        `            return a.entry.path.localeCompare(b.entry.path);
        });
        let assignedTypes = new Set();`,
        `            return imapfwCollate ? a.entry.path.localeCompare(b.entry.path) : imapfwCodeUnitOrder(a.entry.path, b.entry.path);
        });
        let assignedTypes = new Set();`,
      ],
      ["                    return aPart.localeCompare(bPart || '');", "                    return imapfwCodeUnitOrder(aPart, bPart || '');"],
      [
        `            return a.path.localeCompare(b.path);
        });
    }
    catch (err) {`,
        `            return imapfwCodeUnitOrder(a.path, b.path);
        });
    }
    catch (err) {`,
      ],
    ],
  },
];

const deps = new Set();
const { outputFiles } = await build({
  stdin: { contents: "export * from 'imapflow'; export { default } from 'imapflow';", resolveDir: root, sourcefile: 'imapflow-entry.js' },
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  plugins: [depsInSecondFile(deps), loadTimeEdits([...LOAD_TIME_EDITS, ...HOT_PATH_EDITS, ...ROUND_TRIP_EDITS, ...START_UP_EDITS])],
  // Not minified: it loaded no faster (docs/performance.md, "Start-up"), and stack traces stay readable.
  minify: false,
  // imapflow.js requires its second file (a CommonJS module, loaded synchronously); an ES module has no require of its own.
  banner: { js: `import { createRequire as imapfwCreateRequire } from 'node:module'; const require = imapfwCreateRequire(import.meta.url);\n${ON_FIRST_USE}` },
  logLevel: 'warning',
  write: false,
});

const { outputFiles: [depsOutput] } = await build({
  stdin: {
    contents: `module.exports = {\n${[...deps].map((name) => `  ${JSON.stringify(name)}: () => require(${JSON.stringify(name)}),`).join('\n')}\n};`,
    // Resolved from imapflow's modules, as they import them (imapflow has a pino of its own).
    resolveDir: join(root, 'node_modules', 'imapflow', 'dist', 'esm'),
    sourcefile: 'imapflow-deps-entry.cjs',
  },
  outfile: join(dirname(outfile), DEPS_FILE),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  plugins: [oneCopyPerPackage, loadTimeEdits(LOAD_TIME_EDITS)],
  minify: false,
  logLevel: 'warning',
  write: false,
});

await mkdir(dirname(outfile), { recursive: true });
await writeFile(outfile, asciiOnly(setUpOnFirstUse(outputFiles[0].text)));
await writeFile(join(dirname(outfile), DEPS_FILE), asciiOnly(depsOutput.text));
