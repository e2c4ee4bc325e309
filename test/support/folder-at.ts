import { folderRef } from '../../src/api/folder-ref.js';
import type { FolderRef, Repository } from '../../src/api/types.js';

/** The folder under its uidValidity now (one scan): what requests on its ids take. */
export async function folderAt(repo: Pick<Repository, 'scan'>, name: string): Promise<FolderRef> {
  return folderRef(name, await repo.scan(name));
}
