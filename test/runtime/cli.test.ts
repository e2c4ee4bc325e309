import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../bin/imapfw.mjs', import.meta.url));
const app = fileURLToPath(new URL('./fixtures/echo-app.ts', import.meta.url));

it('imapfw graph prints workers and channels without starting them', () => {
  const result = spawnSync(process.execPath, [cli, 'graph', app, '--log-file', '/dev/null'], { encoding: 'utf8' });
  expect(result.status).toBe(0);
  expect(result.stdout).toContain('repository: echo (echo, thread)');
  expect(result.stdout).toContain('caller -> echo');
  expect(result.stdout).toContain('main -> caller');
  expect(result.stdout).toMatch(/log: .*echo.*-> logger/);
});

it.each(['graph', 'run'])('imapfw %s --help says what it takes; an option where the module goes is a usage error', (command) => {
  const help = spawnSync(process.execPath, [cli, command, '--help'], { encoding: 'utf8' });
  expect(help.status).toBe(0);
  expect(help.stdout).toContain(`imapfw ${command} `);
  const misplaced = spawnSync(process.execPath, [cli, command, '--backend', 'thread', app], { encoding: 'utf8' });
  expect(misplaced.status).toBe(2);
  expect(misplaced.stderr).toContain('not the option "--backend"');
});

it('imapfw run runs an app module to its end', () => {
  const result = spawnSync(process.execPath, [cli, 'run', app], { encoding: 'utf8', timeout: 30_000 });
  expect(result.stderr).toContain('running');
  expect(result.status).toBe(0);
});

it('an uncaught exception of an actor on the main thread fails the app naming the actor', () => {
  const result = spawnSync(process.execPath, [cli, 'run', app, '--backend', 'inline', '--crash'], { encoding: 'utf8', timeout: 30_000 });
  expect(result.stderr).toMatch(/worker "echo" failed \(exception\): Error: boom/);
  expect(result.status).not.toBe(0);
});

it.each([
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const)('%s stops every worker cleanly and exits %i', async (signal, code) => {
  const child = spawn(process.execPath, [cli, 'run', app, '--wait', '--backend', 'thread'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    // Once: a second signal after the handlers are gone would kill the process outright.
    if (!sent && stderr.includes('running')) sent = child.kill(signal);
  });
  const exit = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  expect(stderr).toContain(`${signal}: stopping`);
  expect(exit).toBe(code);
});

it.each(['thread', 'inline'])('SIGTERM while an actor is still starting (%s) stops the run with 143', async (backend) => {
  const child = spawn(process.execPath, [cli, 'run', app, '--wait', '--slow-start', '--backend', backend], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let sent = false;
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (!sent && stderr.includes('starting slowly')) sent = child.kill('SIGTERM');
  });
  const exit = await new Promise<number | null>((resolve) => child.on('exit', (status) => resolve(status)));
  expect(stderr).toContain('SIGTERM: stopping');
  expect(stderr).not.toContain('running');
  // Not Node's 13 (a top-level await left unsettled): the start the signal cut short no longer holds the command.
  expect(exit).toBe(143);
});

it('the imapfw command caps the young generation of its main thread, where the actors run by default', () => {
  const probe = fileURLToPath(new URL('./fixtures/young-generation-probe.cjs', import.meta.url));
  // Run as a user runs it: the bin by its shebang line, not `node bin/imapfw.mjs`.
  const result = spawnSync(cli, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--require ${probe}` } });
  expect(result.status).toBe(0);
  const size = Number(/young generation: (\d+)/.exec(result.stderr)?.[1]);
  // Two semi-spaces of at most 4 MB; V8's default lets them grow to 16 MB each (Node 20) or 32 MB (Node 24). Node 24's
  // V8 can count a page more while it resizes them (9 MiB, once in CI): the bound leaves room for that, far below 32 MiB.
  expect(size).toBeGreaterThan(0);
  expect(size).toBeLessThanOrEqual(12 * 1024 * 1024);
});

it("the imapfw command limits glibc's malloc to 2 arenas", () => {
  const probe = fileURLToPath(new URL('./fixtures/malloc-arena-probe.cjs', import.meta.url));
  const { MALLOC_ARENA_MAX: _theirs, ...env } = process.env;
  const result = spawnSync(cli, ['--version'], { encoding: 'utf8', env: { ...env, NODE_OPTIONS: `--require ${probe}` } });
  expect(result.status).toBe(0);
  expect(result.stderr).toContain('MALLOC_ARENA_MAX=2\n');
});
