import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';

// The build bundles imapfw's modules into one file, dist/bundle/imapfw.js (scripts/bundle.mjs), with stubs at tsc's paths.
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'dist', 'bundle');
const cli = join(root, 'bin', 'imapfw.mjs');
const userApp = fileURLToPath(new URL('./fixtures/one-copy-app.mjs', import.meta.url));

describe('the bundled build', () => {
  it('is built: one file', () => {
    expect(existsSync(join(bundle, 'imapfw.js')), 'run `npm run build`').toBe(true);
    expect(readdirSync(bundle).filter((name) => name.endsWith('.js'))).toEqual(['imapfw.js']);
  });

  it('holds each of imapfw\'s modules, evaluated on first use, and no compiled module outside it but the stubs', () => {
    const code = readFileSync(join(bundle, 'imapfw.js'), 'utf8');
    // esbuild heads each module's code with its source path.
    expect(new Set([...code.matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map(([, source]) => source)).size).toBeGreaterThan(100);
    // An entry's modules are set up when it loads (esbuild's lazy module wrappers), not when the file does.
    expect(code).toMatch(/^export \{\s*entries\s*\};?$/m);
    expect(code).toMatch(/\binit_sync_account\b/);
    const compiled = readdirSync(join(root, 'dist', 'src'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js') && !name.startsWith('vendor'));
    expect(compiled.length).toBeGreaterThanOrEqual(9);
    for (const file of compiled) {
      expect(readFileSync(join(root, 'dist', 'src', file), 'utf8'), file).toMatch(/^\/\/ src\/\S+\.ts, bundled: see scripts\/bundle\.mjs\.\nimport \{ entries \} from '[./]+bundle\/imapfw\.js';\n/);
    }
  });

  it('gives a user\'s app loaded by the CLI the classes the CLI uses: one Runtime, one AuthError', () => {
    const run = spawnSync(process.execPath, [cli, 'run', userApp], { encoding: 'utf8', timeout: 30_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(ExitCode.OK);
    expect(JSON.parse(run.stdout)).toEqual({ sameRuntime: true });
    const refused = spawnSync(process.execPath, [cli, 'run', userApp, '--throw'], { encoding: 'utf8', timeout: 30_000 });
    expect(refused.stderr).toContain('refused by the fixture');
    expect(refused.status).toBe(ExitCode.AUTH);
  });
});
