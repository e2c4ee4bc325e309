// Helpers of the mirror tests: run the imapfw CLI as a child process, and
// read a Maildir back independently of MaildirRepository.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../bin/imapfw.mjs', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: Record<string, string>;
  cwd?: string;
  timeoutMs?: number;
}

/** Runs `imapfw ...args` to its end (never through a TTY: plain log lines, no progress bars). */
export function runCli(args: string[], options: RunOptions = {}): Promise<CliResult> {
  return runScript(CLI, args, options);
}

/** Runs a Node.js script of this repository (bin/...) to its end, without a TTY; killed after `timeoutMs` (default 45 s). */
export function runScript(script: string, args: string[], options: RunOptions = {}): Promise<CliResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd ?? REPO_ROOT,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const LETTERS: Record<string, string> = { D: '\\Draft', F: '\\Flagged', R: '\\Answered', S: '\\Seen', T: '\\Deleted' };

export interface LocalMessage {
  file: string;
  messageId: string | undefined;
  subject: string | undefined;
  /** IMAP flags and keywords, sorted. */
  flags: string[];
  mtimeMs: number;
}

/** Folder names of a Maildir++ Maildir ('.A.B' is 'A/B'; the root is INBOX), sorted. */
export function localFolders(root: string): string[] {
  if (!existsSync(root)) return [];
  const names = existsSync(join(root, 'cur')) ? ['INBOX'] : [];
  for (const entry of readdirSync(root, { withFileTypes: true })) {
    if (entry.isDirectory() && entry.name.startsWith('.') && existsSync(join(root, entry.name, 'cur'))) {
      names.push(entry.name.slice(1).split('.').join('/'));
    }
  }
  return names.sort();
}

export function folderDir(root: string, folder: string): string {
  return folder === 'INBOX' ? root : join(root, `.${folder.split('/').join('.')}`);
}

/** The messages of one folder, read from the files: flags from the name (+ dovecot-keywords), headers from the body. */
export function localMessages(root: string, folder: string): LocalMessage[] {
  const dir = folderDir(root, folder);
  const keywordFile = join(dir, 'dovecot-keywords');
  const keywords = new Map<string, string>();
  if (existsSync(keywordFile)) {
    for (const line of readFileSync(keywordFile, 'utf8').split('\n')) {
      const match = /^(\d+) (.+)$/.exec(line);
      if (match) keywords.set(String.fromCharCode(97 + Number(match[1])), match[2]!);
    }
  }
  const messages: LocalMessage[] = [];
  for (const sub of ['new', 'cur']) {
    for (const file of readdirSync(join(dir, sub))) {
      const path = join(dir, sub, file);
      const text = readFileSync(path, 'latin1');
      const head = text.slice(0, text.search(/\r?\n\r?\n/));
      const header = (name: string) => new RegExp(`^${name}: *(.*)$`, 'mi').exec(head)?.[1]?.trim();
      const info = file.includes(':2,') ? file.slice(file.indexOf(':2,') + 3) : '';
      const flags = [...info].map((letter) => LETTERS[letter] ?? keywords.get(letter) ?? `?${letter}`).sort();
      messages.push({ file: `${sub}/${file}`, messageId: header('Message-ID'), subject: header('Subject'), flags, mtimeMs: statSync(path).mtimeMs });
    }
  }
  return messages.sort((a, b) => (a.subject ?? '').localeCompare(b.subject ?? ''));
}

/** Every path under `root` with its size and mtime: equal snapshots mean nothing changed. */
export function snapshot(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const stat = statSync(path);
      out.push(`${relative(root, path)} ${entry.isDirectory() ? 'dir' : stat.size} ${stat.mtimeMs}`);
      if (entry.isDirectory()) walk(path);
    }
  };
  walk(root);
  return out.sort();
}
