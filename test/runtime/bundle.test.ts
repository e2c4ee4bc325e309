import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/api/exit-codes.js';

// The build bundles imapfw's modules into dist/bundle/ (scripts/bundle.mjs), with stubs at tsc's paths.
const root = fileURLToPath(new URL('../..', import.meta.url));
const bundle = join(root, 'dist', 'bundle');
const cli = join(root, 'bin', 'imapfw.mjs');
const userApp = fileURLToPath(new URL('./fixtures/one-copy-app.mjs', import.meta.url));

describe('the bundled build', () => {
  it('is built', () => {
    expect(existsSync(join(bundle, 'cli-main.js')), 'run `npm run build`').toBe(true);
  });

  it('holds one copy of each of imapfw\'s modules, and no compiled module outside the bundle but the stubs', () => {
    // esbuild heads each module's code with its source path (twice when it moves the module's imports up).
    const copies = new Map<string, number>();
    for (const file of readdirSync(bundle).filter((name) => name.endsWith('.js'))) {
      const sources = new Set([...readFileSync(join(bundle, file), 'utf8').matchAll(/^\/\/ (src\/\S+\.ts)$/gm)].map(([, source]) => source!));
      for (const source of sources) copies.set(source, (copies.get(source) ?? 0) + 1);
    }
    expect(copies.size).toBeGreaterThan(100);
    expect([...copies].filter(([, count]) => count > 1)).toEqual([]);
    const compiled = readdirSync(join(root, 'dist', 'src'), { recursive: true, encoding: 'utf8' }).filter((name) => name.endsWith('.js') && !name.startsWith('vendor'));
    for (const file of compiled) expect(readFileSync(join(root, 'dist', 'src', file), 'utf8'), file).toMatch(/^\/\/ src\/\S+\.ts, bundled: see scripts\/bundle\.mjs\.\nexport \* from '[./]+bundle\/[\w-]+\.js';\n/);
  });

  it('loads an actor\'s module by a dynamic import straight from the chunk that holds its code, not through a re-export chunk', () => {
    const holder = readdirSync(bundle).filter((file) => file.endsWith('.js') && /^\/\/ src\/api\/engines\/sync-account\.ts$/m.test(readFileSync(join(bundle, file), 'utf8')));
    expect(holder).toHaveLength(1);
    const app = readFileSync(join(bundle, 'apps-mirror-app.js'), 'utf8');
    expect([...app.matchAll(/import\("\.\/([\w-]+\.js)"\)\)\.SyncAccount\b/g)].map(([, file]) => file)).toEqual(holder);
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
