#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=4 --initial-old-space-size=32 --heap-growing-percent=50 --cpu-prof --cpu-prof-dir=/tmp/st/prof4
// The imapfw command. Runs the compiled CLI (built by `npm install`); in a
// source checkout without a build, runs the TypeScript source through tsx.
// The shebang caps V8's young generation on the main thread, where a run's actors live by default, as the
// runtime caps every worker's (resourceLimits): by default V8 grows it to 32 MB (Node 20) or 64 MB (Node 24),
// and a mirror's short-lived garbage then held 25-50 MB more at its peak (docs/performance.md, "Initial mirrors and memory").
// --initial-old-space-size=32: a copy's heap holds 10-20 MB, so V8 set its old generation's limit near 24 MB and,
// with bodies passing through, reached it every 250 ms: 50 full collections in a 10k mirror (--trace-gc). From a
// 32 MB start, 24: a 10k mirror's CPU 0.92x (Node 20) / 0.85x (Node 24), a migration's 0.90x / 0.87x, peak RSS
// +0-7 MiB, a no-op rerun the same (docs/performance.md, "Full collections of a copy").
// MALLOC_ARENA_MAX=2: glibc gives each thread that allocates (V8's and libuv's helpers) an arena of its own, up to
// 8 per core, and memory freed in one is not reused by another: with 2, a migration with 4 connections peaked
// about 17 MiB lower on Node 24 at the same CPU (docs/performance.md, "Memory: malloc arenas"). Other C libraries ignore it.
// --heap-growing-percent=50: what the runtime sets otherwise (src/core/runtime/heap-growth.ts), given here so that a
// run does not load node:v8 to set it.
import { existsSync } from 'node:fs';
import nodeModule from 'node:module';

// Node 22+ keeps the compiled code of the modules it loads on disk for the next run (a no-op run is mostly
// start-up); Node 20 has no compile cache and runs as before.
nodeModule.enableCompileCache?.();

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
let cli;
if (existsSync(compiled)) {
  cli = await import(compiled.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  cli = await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
const code = await cli.main(process.argv.slice(2));
process.exitCode = code;
// Nothing should keep the process alive now; if something does, do not hang.
setTimeout(() => process.exit(code), 2_000).unref();
