import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { MaildirRepository } from '../../src/api/repositories/maildir.js';
import type { MaildirOptions } from '../../src/api/repositories/maildir-options.js';

export interface TempMaildir {
  /** A private temporary directory; the Maildir root is `${parent}/Maildir`. */
  parent: string;
  root: string;
  repo: MaildirRepository;
  cleanup(): Promise<void>;
}

export async function tempMaildir(options: Partial<MaildirOptions> = {}): Promise<TempMaildir> {
  const parent = await mkdtemp(join(tmpdir(), 'imapfw-maildir-'));
  const root = join(parent, 'Maildir');
  const repo = new MaildirRepository({ root, create: true, ...options });
  return { parent, root, repo, cleanup: () => rm(parent, { recursive: true, force: true }) };
}

/** Every path under `dir`, relative to it, sorted. */
export async function listTree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true });
  return entries.map((e) => relative(dir, join(dir, e))).sort();
}

export const LAYOUTS = ['maildir++', 'nested', 'flat'] as const;

export function crlf(...lines: string[]): Uint8Array {
  return new TextEncoder().encode(lines.join('\r\n'));
}
