#!/usr/bin/env node
// The imapfw command. Runs the compiled CLI (built by `npm install`); in a
// source checkout without a build, runs the TypeScript source through tsx.
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
