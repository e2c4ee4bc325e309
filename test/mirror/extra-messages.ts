import { readLocalMaildir, type MessageKey } from './support.js';

/**
 * Local messages that the server does not have, or has fewer times (by
 * Message-ID and size): must never happen, even in an unfinished mirror.
 */
export function extraLocalMessages(remote: Map<string, MessageKey[]>, maildir: string): string[] {
  const extra: string[] = [];
  for (const [folder, messages] of readLocalMaildir(maildir)) {
    const remaining = new Map<string, number>();
    for (const m of remote.get(folder) ?? []) remaining.set(`${m.id} ${m.size}`, (remaining.get(`${m.id} ${m.size}`) ?? 0) + 1);
    for (const m of messages) {
      const key = `${m.id} ${m.size}`;
      const left = remaining.get(key) ?? 0;
      if (left === 0) extra.push(`${folder}: ${m.file} (${key}) is extra or a duplicate`);
      else remaining.set(key, left - 1);
    }
  }
  return extra;
}
