import type { Logger } from 'pino';
import type { AccountPass } from '../../api/index.js';
import { requireOnUse } from '../../core/require-on-use.js';

/**
 * `--on-change CMD`: after a pass that changed something, runs CMD with the
 * shell, the pass in its environment: IMAPFW_ACCOUNT, IMAPFW_FOLDERS (the
 * folders that changed, one a line), IMAPFW_COPIED, IMAPFW_DELETED,
 * IMAPFW_FLAGS_CHANGED, IMAPFW_MOVED, IMAPFW_FOLDERS_CREATED,
 * IMAPFW_FOLDERS_REMOVED, IMAPFW_EXIT_CODE. One run at a time, never
 * awaited by the daemon; a failure is logged, never fatal.
 */
export function onChangeCommand(command: string, logger: Logger): (pass: AccountPass) => void {
  let previous: Promise<void> = Promise.resolve();
  return (pass) => {
    if (!pass.changed) return;
    previous = previous.then(() => run(command, environment(pass), logger, pass.account));
  };
}

function environment(pass: AccountPass): Record<string, string> {
  const changed = pass.report.folders.filter((folder) => folder.copied.left + folder.copied.right + folder.deleted.left + folder.deleted.right + folder.flagsChanged.left + folder.flagsChanged.right > 0);
  return {
    IMAPFW_ACCOUNT: pass.account,
    IMAPFW_FOLDERS: changed.map((folder) => folder.left).join('\n'),
    IMAPFW_COPIED: String(pass.counts.copied),
    IMAPFW_DELETED: String(pass.counts.deleted),
    IMAPFW_FLAGS_CHANGED: String(pass.counts.flagsChanged),
    IMAPFW_MOVED: String(pass.counts.moved),
    IMAPFW_FOLDERS_CREATED: String(pass.counts.foldersCreated),
    IMAPFW_FOLDERS_REMOVED: String(pass.counts.foldersRemoved),
    IMAPFW_EXIT_CODE: String(pass.exitCode),
  };
}

function run(command: string, env: Record<string, string>, logger: Logger, account: string): Promise<void> {
  return new Promise((resolve) => {
    const { spawn } = requireOnUse('node:child_process') as typeof import('node:child_process');
    const child = spawn('/bin/sh', ['-c', command], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-500)));
    child.on('error', (error) => {
      logger.warn({ account, err: error }, `--on-change could not be run: ${error.message}`);
      resolve();
    });
    child.on('close', (code, signal) => {
      if (code !== 0) logger.warn({ account, code, signal }, `--on-change failed (${signal ?? `exit code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
      resolve();
    });
  });
}
