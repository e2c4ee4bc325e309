// What the watch bench reads in a Maildir folder while a daemon writes it:
// its message files, and a wait for a condition on them that wakes on
// inotify (fs.watch on cur/ and new/) instead of polling hard, so the bench
// takes little CPU from the daemon it measures.
import { readdirSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

/** Checked at least this often besides the inotify events (a safety net). */
const RECHECK_MS = 50;

/** The message files of a folder directory (cur/ and new/), by path. */
export function messageFiles(folderDir: string): string[] {
  return ['cur', 'new'].flatMap((sub) =>
    readdirSync(path.join(folderDir, sub))
      .filter((file) => !file.startsWith('.'))
      .map((file) => path.join(folderDir, sub, file)),
  );
}

/** Resolves once `condition()` holds, checked on every change in the folder's cur/ and new/; rejects after `timeoutMs`. */
export function folderCondition(folderDir: string, condition: () => boolean, timeoutMs: number, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const watchers: FSWatcher[] = [];
    let timer: NodeJS.Timeout | undefined;
    const deadline = performance.now() + timeoutMs;
    const end = (error?: Error) => {
      for (const watcher of watchers) watcher.close();
      clearTimeout(timer);
      if (error) reject(error);
      else resolve();
    };
    const check = () => {
      if (condition()) end();
      else if (performance.now() > deadline) end(new Error(`waited ${timeoutMs / 1000} s for ${what}`));
      else {
        clearTimeout(timer);
        timer = setTimeout(check, RECHECK_MS);
      }
    };
    for (const sub of ['cur', 'new']) watchers.push(watch(path.join(folderDir, sub), check));
    check();
  });
}
