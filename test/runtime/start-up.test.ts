import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';
import { startDovecot, type DovecotServer } from '../support/dovecot.js';
import { CLI, runCli } from '../mirror/helpers.js';

// What a rerun on an empty account loads: all a one-shot run needs at start, nothing that only some runs use
// (docs/performance.md, "Start-up").
const probe = fileURLToPath(new URL('./fixtures/loaded-modules-probe.cjs', import.meta.url));
let server: DovecotServer;
let dir: string;
beforeAll(async () => {
  server = await startDovecot({ users: { empty: 'empty-pw' } });
  dir = await mkdtemp(join(tmpdir(), 'imapfw-start-up-'));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

it('a rerun of an empty account loads no module that only some runs use', async () => {
  const args = ['mirror', '--remote', server.url('empty'), '--maildir', join(dir, 'maildir'), '--password-env', 'START_UP_PW', '--state-dir', join(dir, 'state'), '--json'];
  expect((await runCli(args, { env: { START_UP_PW: 'empty-pw' } })).status).toBe(ExitCode.OK);
  // Run as a user runs it: the bin by its shebang line, with its Node flags.
  const rerun = spawnSync(CLI, args, { encoding: 'utf8', env: { ...process.env, START_UP_PW: 'empty-pw', NODE_OPTIONS: `--require ${probe}` } });
  expect(rerun.status, rerun.stderr).toBe(ExitCode.OK);
  const { builtins, files } = JSON.parse(/^loaded modules: (.*)$/m.exec(rerun.stderr)![1]!) as { builtins: string[]; files: string[] };
  // The run did its work: it logged in (imapflow) and opened its state (better-sqlite3).
  expect(files.some((file) => file.endsWith('/better-sqlite3/lib/database.js'))).toBe(true);
  expect(builtins).toContain('NativeModule net');
  // What only a password prompt (readline), a password command (child_process, which commander loaded for its
  // programs run as subcommands) and an assertion failing in sonic-boom (assert) use; Node's lexer of CommonJS
  // modules imported by an ES module (better-sqlite3 and comlink were); TLS, DNS and zlib, which a plaintext session
  // without COMPRESS and without a proxy never uses (this Dovecot's).
  // v8, which the runtime loads to limit heap growth unless Node's command line does (the bin's shebang does).
  for (const unused of ['readline', 'child_process', 'assert', 'internal/deps/cjs-module-lexer/lexer', 'tls', '_tls_wrap', 'zlib', 'dns', 'v8']) {
    expect(builtins).not.toContain(`NativeModule ${unused}`);
  }
  // imapflow's decoders (libmime, iconv-lite, mailsplit...), in the second file of its bundle; pino and commander
  // are in imapfw's bundle, read as one file each.
  expect(files.filter((file) => /imapflow-deps\.cjs$|[\\/]node_modules[\\/](pino|sonic-boom|thread-stream|commander)[\\/]/.test(file))).toEqual([]);
});
