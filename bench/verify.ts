// The sanity check after every measured run: a benchmark of a broken mirror is
// worthless, so each tool's Maildir must hold as many messages per folder as
// the server, and as many unread ones.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { DovecotServer } from '../test/support/dovecot.js';

/** folder -> counts */
export type Counts = Record<string, { messages: number; unseen: number }>;

/** Every selectable folder of the account. */
export async function serverCounts(server: DovecotServer, user: string): Promise<Counts> {
  const out = await server.doveadm(['mailbox', 'status', '-u', user, 'messages unseen', '*']);
  const counts: Counts = {};
  for (const line of out.split('\n').filter(Boolean)) {
    const match = /^(.*) messages=(\d+) unseen=(\d+)$/.exec(line);
    if (!match) throw new Error(`unexpected doveadm mailbox status line: ${line}`);
    counts[match[1]!] = { messages: Number(match[2]), unseen: Number(match[3]) };
  }
  return counts;
}

/** A folder's directory in a Maildir++ tree: INBOX at the root, "A/B" in ".A.B". */
export function folderDir(root: string, name: string): string {
  return name === 'INBOX' ? root : path.join(root, `.${name.replaceAll('/', '.')}`);
}

/** Counts of these folders in a Maildir++ tree (INBOX at the root, "A/B" in ".A.B"), as both tools lay it out here. */
export async function maildirCounts(root: string, folders: string[]): Promise<Counts> {
  const counts: Counts = {};
  for (const name of folders) {
    const dir = folderDir(root, name);
    const entry = { messages: 0, unseen: 0 };
    for (const sub of ['cur', 'new']) {
      const files = await readdir(path.join(dir, sub)).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return [];
        throw error;
      });
      for (const file of files) {
        if (file.startsWith('.')) continue;
        entry.messages++;
        if (!/:2,[A-Za-z]*S/.test(file)) entry.unseen++;
      }
    }
    counts[name] = entry;
  }
  return counts;
}

/** Throws, naming every folder that differs, unless the Maildir matches the server. */
export function checkMirror(tool: string, server: Counts, local: Counts): void {
  const wrong = Object.entries(server)
    .filter(([folder, want]) => local[folder]?.messages !== want.messages || local[folder]?.unseen !== want.unseen)
    .map(([folder, want]) => `${folder}: server ${want.messages} (${want.unseen} unseen), Maildir ${local[folder]?.messages ?? 0} (${local[folder]?.unseen ?? 0} unseen)`);
  if (wrong.length > 0) throw new Error(`${tool} did not mirror the server:\n  ${wrong.join('\n  ')}`);
}
