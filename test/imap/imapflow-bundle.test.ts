import { existsSync, readFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { startScriptedImap, withoutCapabilities } from '../support/scripted-imap/index.js';

// The build bundles imapflow into dist/src/vendor/imapflow.js and the packages its modules import into
// dist/src/vendor/imapflow-deps.cjs (scripts/bundle-imapflow.mjs); every compiled run of imapfw talks IMAP through it.
const bundle = new URL('../../dist/src/vendor/imapflow.js', import.meta.url);
const depsFile = fileURLToPath(new URL('../../dist/src/vendor/imapflow-deps.cjs', import.meta.url));
/** Whether this thread has read the second file (a CommonJS module, loaded by the bundle's own require). */
const depsLoaded = () => Object.hasOwn(createRequire(import.meta.url).cache, depsFile);

describe('the bundled imapflow', () => {
  let server: DovecotServer;
  beforeAll(async () => {
    server = await startDovecot();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('is built, exports what the package exports and talks to a real server', async () => {
    expect(existsSync(bundle), 'run `npm run build`').toBe(true);
    const bundled = (await import(bundle.href)) as typeof import('imapflow');
    const installed = await import('imapflow');
    expect(Object.keys(bundled).sort()).toEqual(Object.keys(installed).sort());

    const client = new bundled.ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'alice-pw' }, logger: false });
    await client.connect();
    try {
      const folders = await client.list();
      expect(folders.map((folder) => folder.path)).toContain('INBOX');
      // Logging in and listing (all that a run on an empty account does) decode nothing.
      expect(depsLoaded()).toBe(false);
      await client.append('INBOX', 'Subject: =?UTF-8?B?YnVuZGxlZCDinJM=?=\r\n\r\nbody\r\n');
      const lock = await client.getMailboxLock('INBOX');
      try {
        const message = await client.fetchOne('1', { envelope: true });
        // The encoded word is decoded by libmime, which the bundle sets up at this first use.
        expect(message && message.envelope?.subject).toBe('bundled \u2713');
        expect(depsLoaded()).toBe(true);
      } finally {
        lock.release();
      }
    } finally {
      await client.logout();
    }
  });

  it('holds one copy of each package, in ASCII only, the packages imapflow imports in the second file', () => {
    const main = readFileSync(bundle, 'latin1');
    const deps = readFileSync(depsFile, 'latin1');
    // esbuild heads each bundled file with its path: imapflow.js holds imapflow's modules and nothing else.
    expect([...main.matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\n]+\/)?[^/\n]+)\//gm)].map(([, name]) => name).filter((name) => name !== 'imapflow')).toEqual([]);
    expect(deps).toMatch(/^\/\/ \S*node_modules\/libmime\//m);
    const text = main + deps;
    // esbuild heads each bundled file with its path: a package bundled as both its ES module and its CommonJS
    // builds (dist/esm and dist/cjs) would run its set-up twice at every start.
    const builds = new Map<string, Set<string>>();
    for (const [, name, build] of text.matchAll(/^\/\/ (?:\S*\/)?node_modules\/((?:@[^/\n]+\/)?[^/\n]+)\/dist\/(esm|cjs)\//gm)) {
      builds.set(name, (builds.get(name) ?? new Set()).add(build));
    }
    expect(builds.get('libmime')?.size).toBe(1);
    expect([...builds].filter(([, found]) => found.size > 1).map(([name]) => name)).toEqual([]);
    // Non-ASCII text makes Node decode and parse the whole file as two-byte text.
    expect(/[^\x00-\x7f]/.test(text)).toBe(false);
    // libmime's lookup of the GBK codec (whose tables cost 30-40 ms and 8 MB) waits for a double-byte charset.
    expect(text).toMatch(/DBCS_DECODER = \(\) => /);
    expect(text).not.toMatch(/DBCS_DECODER = [\w.]+\.getCodec\(/);
  });

  it('sets up at load only what every connection uses: the SOCKS client, imapflow\'s pino and the decoders wait for a first use', () => {
    const text = readFileSync(bundle, 'latin1');
    // esbuild runs a CommonJS package's set-up where an ES module imports it (`var import_x = __toESM(require_x())`).
    expect(text.match(/^var \w+ = __toESM\(require_\w+\(\)/gm) ?? []).toEqual([]);
    expect(text).toMatch(/^var import_libmime = imapfwOnFirstUse\(require_libmime\);$/m);
    expect(text).toMatch(/^var import_mailsplit = imapfwOnFirstUse\(require_mailsplit\);$/m);
    expect(text).toMatch(/^var socksClient = \(\) => require_\w+\(\)\.SocksClient;$/m);
    expect(text).toMatch(/^var pino\w* = \(options\) => require_pino\(\)\(options\);$/m);
  });

  it('answers FETCH as the package does, with less work per response: plain lines read without the tokenizer, plain item names, the date check, the id', async () => {
    const text = readFileSync(bundle, 'latin1');
    expect(text).toMatch(/async function parser\(\w+, options\) \{\n\s*const imapfwFetchLine = readFetchLine\(/);
    // The edits are in (a changed imapflow would be bundled as it is, with a warning from the build).
    expect(text).toMatch(/key = plainItemKey\(attribute\) \?\? /);
    expect(text).toMatch(/if \(Number\.isNaN\(date\.getTime\(\)\)\) \{\n\s*map\.internalDate = value;/);
    expect(text).toMatch(/imapfwHexHash = imapfwCrypto\.hash \?\? /);
    expect(text).toMatch(/map\.id = map\.emailId \|\| imapfwHexHash\(/);
    const bundled = (await import(bundle.href)) as typeof import('imapflow');
    const installed = await import('imapflow');
    const answers = async (ImapFlow: typeof installed.ImapFlow, kind: 'listing' | 'bodies' | 'everything' = 'everything') => {
      const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'alice-pw' }, logger: false, qresync: true });
      await client.connect();
      try {
        const lock = await client.getMailboxLock('Caf\u00e9');
        try {
          // A listing's lines and a copy's (read without the tokenizer), or lines with an envelope's nested lists too.
          const listing = { uid: true, flags: true, size: true, internalDate: true };
          const bodies = { uid: true, headers: ['message-id'], source: true };
          const query = kind === 'listing' ? listing : kind === 'bodies' ? bodies : { ...listing, envelope: true, headers: ['message-id'], source: { start: 2, maxLength: 20 }, bodyParts: ['1'] };
          const rows = await client.fetchAll('1:*', query, { changedSince: 1n });
          // Every field, the id and the modseq too, as the package's fetch gives them (JSON: Buffers, Sets and dates
          // made comparable). \Recent goes to the first session that selects the folder only.
          const flags = (row: (typeof rows)[number]) => [...(row.flags ?? [])].filter((flag) => flag !== '\\Recent');
          return rows.map((row) => JSON.parse(JSON.stringify({ ...row, id: row.id, modseq: String(row.modseq), flags: flags(row) })) as Record<string, unknown>);
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
    };
    const setUp = new installed.ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'alice-pw' }, logger: false });
    await setUp.connect();
    try {
      await setUp.mailboxCreate('Caf\u00e9');
      for (const i of [1, 2, 3]) await setUp.append('Caf\u00e9', `Message-ID: <m${i}@bundle.test>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`, i === 2 ? ['\\Seen', '$Work'] : []);
    } finally {
      await setUp.logout();
    }
    const fromBundle = await answers(bundled.ImapFlow);
    expect(fromBundle).toHaveLength(3);
    expect(fromBundle.map((row) => row.id)).toEqual(fromBundle.map((row) => expect.stringMatching(/^[0-9a-f]{32}$/)));
    expect(fromBundle).toEqual(await answers(installed.ImapFlow));
    const listing = await answers(bundled.ImapFlow, 'listing');
    expect(listing.map((row) => row.flags)).toEqual([[], ['\\Seen', '$Work'], []]);
    expect(listing).toEqual(await answers(installed.ImapFlow, 'listing'));
    const bodies = await answers(bundled.ImapFlow, 'bodies');
    expect(bodies.map((row) => Buffer.from((row.source as { data: number[] }).data).toString())).toEqual([1, 2, 3].map((i) => `Message-ID: <m${i}@bundle.test>\r\nSubject: ${i}\r\n\r\nbody ${i}\r\n`));
    expect(bodies).toEqual(await answers(installed.ImapFlow, 'bodies'));
  });

  it('lists in code-unit order without setting ICU\'s collator up, with the special uses the package gives', async () => {
    const bundled = (await import(bundle.href)) as typeof import('imapflow');
    const installed = await import('imapflow');
    const connected = async (ImapFlow: typeof installed.ImapFlow) => {
      const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'alice-pw' }, logger: false });
      await client.connect();
      return client;
    };
    const listed = async (ImapFlow: typeof installed.ImapFlow) => {
      const client = await connected(ImapFlow);
      try {
        return (await client.list()).map((entry) => ({ path: entry.path, specialUse: entry.specialUse, source: entry.specialUseSource }));
      } finally {
        await client.logout();
      }
    };
    const byPath = (entries: { path: string }[]) => [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    const setUp = await connected(installed.ImapFlow);
    try {
      for (const path of ['Sent', 'Drafts', 'Trash', 'Zeta', 'alpha', 'Lists', 'Lists/dev', 'Caf\u00e9']) await setUp.mailboxCreate(path).catch(() => undefined);
    } finally {
      await setUp.logout();
    }
    const localeCompare = vi.spyOn(String.prototype, 'localeCompare');
    try {
      const fromBundle = await listed(bundled.ImapFlow);
      // A process's first localeCompare() costs 8-13 ms; no special use here has two candidates to choose from.
      expect(localeCompare).not.toHaveBeenCalled();
      expect(fromBundle.filter((entry) => !entry.specialUse).map((entry) => entry.path)).toEqual(['Caf\u00e9', 'Lists', 'Lists/dev', 'Zeta', 'alpha']);
      expect(fromBundle.filter((entry) => entry.specialUse).length).toBeGreaterThanOrEqual(4);
      expect(byPath(fromBundle)).toEqual(byPath(await listed(installed.ImapFlow)));

      // "Sent", "Envoyés" and "Éléments envoyés" all look like \Sent: which one gets it is imapflow's alphabetical
      // choice, kept (in code units "Éléments envoyés" would come last).
      const more = await connected(installed.ImapFlow);
      try {
        for (const path of ['Envoy\u00e9s', '\u00c9l\u00e9ments envoy\u00e9s']) await more.mailboxCreate(path);
      } finally {
        await more.logout();
      }
      localeCompare.mockClear();
      const competing = await listed(bundled.ImapFlow);
      expect(localeCompare).toHaveBeenCalled();
      expect(byPath(competing)).toEqual(byPath(await listed(installed.ImapFlow)));
      expect(competing.find((entry) => entry.specialUse === '\\Sent')?.path).toBe('\u00c9l\u00e9ments envoy\u00e9s');
    } finally {
      localeCompare.mockRestore();
    }
  });

  it('uses Node\'s TLS and zlib where a session needs them: an imaps:// connection speaks TLS, COMPRESS=DEFLATE compresses', async () => {
    const bundled = (await import(bundle.href)) as typeof import('imapflow');
    // Both load on first use now (test/runtime/start-up.test.ts: a plaintext session loads neither).
    const text = readFileSync(bundle, 'latin1');
    expect(text).toMatch(/var tls2 = \{ connect: \(\.\.\.args\) => __require\("node:tls"\)\.connect\(\.\.\.args\) \};/);
    expect(text).not.toMatch(/^import \w+ from "node:(tls|zlib|dns)";$/m);

    // imaps://: the first bytes the server gets are a TLS handshake record (0x16), sent through the lazy connect.
    const firstBytes = await new Promise<Buffer>((resolve, reject) => {
      const listener = createServer((socket) => socket.once('data', (data) => {
        resolve(data);
        socket.destroy();
        listener.close();
      }));
      listener.listen(0, '127.0.0.1', () => {
        const { port } = listener.address() as AddressInfo;
        const client = new bundled.ImapFlow({ host: '127.0.0.1', port, secure: true, auth: { user: 'u', pass: 'p' }, logger: false, tls: { rejectUnauthorized: true } });
        client.on('error', () => undefined);
        client.connect().then(() => reject(new Error('connected to a server that speaks no TLS')), () => undefined);
      });
    });
    expect(firstBytes[0]).toBe(0x16);

    // A server offering COMPRESS=DEFLATE: the session is compressed both ways, and a message goes in and out intact.
    const compressing = await startDovecot({ compress: true });
    try {
      const client = new bundled.ImapFlow({ host: compressing.host, port: compressing.port, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass: 'alice-pw' }, logger: false });
      await client.connect();
      try {
        expect(client.capabilities.has('COMPRESS=DEFLATE')).toBe(true);
        expect((client as unknown as { _deflate?: object; _inflate?: object })._deflate).toBeDefined();
        expect((client as unknown as { _deflate?: object; _inflate?: object })._inflate).toBeDefined();
        const message = `Message-ID: <z@bundle.test>\r\nSubject: deflated\r\n\r\n${'compressible line\r\n'.repeat(2000)}`;
        await client.append('INBOX', message);
        const lock = await client.getMailboxLock('INBOX');
        try {
          const fetched = await client.fetchOne('*', { source: true });
          expect(fetched && fetched.source?.toString()).toBe(message);
        } finally {
          lock.release();
        }
      } finally {
        await client.logout();
      }
    } finally {
      await compressing.stop();
    }
  });

  it('logs in with one round trip where the server offers SASL-IR, its response hidden from the log; without SASL-IR as the package does', async () => {
    expect(readFileSync(bundle, 'latin1')).toMatch(/let imapfwInitial = connection\.capabilities\.has\("SASL-IR"\)/);
    const bundled = (await import(bundle.href)) as typeof import('imapflow');
    /** What the bundled client logs (every level) over one login and logout. */
    const logIn = async (port: number, pass: string) => {
      const lines: { src?: string; msg?: string }[] = [];
      const keep = (entry: { src?: string; msg?: string }) => void lines.push(entry);
      const logger = { trace: keep, debug: keep, info: keep, warn: keep, error: keep, fatal: keep };
      const client = new bundled.ImapFlow({ host: '127.0.0.1', port, secure: false, doSTARTTLS: false, auth: { user: 'alice', pass }, logger });
      await client.connect();
      await client.logout();
      return lines;
    };
    const continuations = (lines: { src?: string; msg?: string }[]) => lines.filter((line) => line.src === 's' && /^\+/.test(line.msg ?? ''));

    const dovecot = await logIn(server.port, 'alice-pw');
    expect(dovecot.some((line) => line.src === 'c' && /^\S+ AUTHENTICATE PLAIN /.test(line.msg ?? ''))).toBe(true);
    expect(continuations(dovecot)).toEqual([]);
    expect(JSON.stringify(dovecot)).not.toContain(Buffer.from('\0alice\0alice-pw').toString('base64'));

    const scripted = await startScriptedImap({ users: { alice: 'secret' }, capabilities: withoutCapabilities('SASL-IR') });
    try {
      const plain = await logIn(scripted.port, 'secret');
      expect(continuations(plain)).toHaveLength(1);
      expect(JSON.stringify(plain)).not.toContain(Buffer.from('\0alice\0secret').toString('base64'));
    } finally {
      await scripted.stop();
    }

    // A server that offers SASL-IR and asks for more all the same gets the cancel, not the response again.
    const asking = await startScriptedImap({ users: { alice: 'secret' } });
    let answer: string | undefined;
    asking.script.on('AUTHENTICATE', async (ctx) => {
      await ctx.session.output.write(Buffer.from('+ \r\n'));
      answer = (await ctx.session.reader.readLine()) ?? undefined;
      ctx.bad('Authentication aborted');
    });
    try {
      await expect(logIn(asking.port, 'secret')).rejects.toThrow();
      expect(answer).toBe('*');
    } finally {
      await asking.stop();
    }
  });
});
