import type { FolderRef, FolderStatus } from './types.js';

/** The folder `name` under the uidValidity a scan (or a saved state) reported: what requests on its ids take. */
export function folderRef(name: string, seen: { status: FolderStatus } | { uidValidity: string }): FolderRef {
  return { name, uidValidity: 'status' in seen ? seen.status.uidValidity : seen.uidValidity };
}
