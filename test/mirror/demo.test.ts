// `npm run demo` (bin/demo.mjs), without a terminal: it mirrors the generated
// mailbox into ./demo-mail of its working directory, says how to mirror your
// own server, and a second run copies nothing twice.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, localFolders, localMessages, runScript } from './helpers.js';

const DEMO = join(REPO_ROOT, 'bin', 'demo.mjs');

const demo = (cwd: string, args: string[] = []) => runScript(DEMO, args, { cwd, timeoutMs: 100_000 });

let cwd: string;
beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'imapfw-demo-test-'));
});
afterAll(async () => {
  if (cwd) await rm(cwd, { recursive: true, force: true });
});

describe('npm run demo', () => {
  it('mirrors its generated mailbox into ./demo-mail, shows the command for your own server; run again, copies nothing', async () => {
    const first = await demo(cwd);
    expect(first.status, `${first.stdout}\n${first.stderr.slice(-3000)}`).toBe(0);
    const generated = /Generated (\d+) messages in (\d+) folders/.exec(first.stdout);
    expect(generated, first.stdout).not.toBeNull();
    const [messages, folders] = [Number(generated![1]), Number(generated![2])];
    expect(first.stdout).toMatch(new RegExp(`copied +${messages} messages`));
    expect(first.stdout).toContain('complete: the Maildir mirrors the server');
    expect(first.stdout).toMatch(/npx imapfw mirror --remote imaps:\/\/\S+ --maildir \S+ --password-env/);

    const maildir = join(cwd, 'demo-mail');
    const names = localFolders(maildir).filter((folder) => localMessages(maildir, folder).length > 0);
    expect(names).toHaveLength(folders);
    expect(names.reduce((n, folder) => n + localMessages(maildir, folder).length, 0)).toBe(messages);

    const again = await demo(cwd);
    expect(again.status, `${again.stdout}\n${again.stderr.slice(-3000)}`).toBe(0);
    expect(again.stdout).toMatch(/copied +0 messages/);
    expect(again.stdout).toMatch(new RegExp(`already there +${messages} messages on both sides, paired instead of copied`));
  }, 200_000);

  it('refuses a directory you name that is not empty and no Maildir (a Maildir an earlier demo made is taken again)', async () => {
    const refused = await demo(cwd, [cwd]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/is not empty and no Maildir: name a new directory/);
  });
});
