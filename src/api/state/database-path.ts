import { join } from 'node:path';
import { accountFileName, defaultStateDir } from '../../core/state/paths.js';

/** `<stateDir>/<account>.sqlite`, the account name made a safe file name (no SQLite loaded: the main thread only asks whether it exists). */
export function stateDatabasePath(account: string, stateDir = defaultStateDir()): string {
  return join(stateDir, `${accountFileName(account)}.sqlite`);
}
