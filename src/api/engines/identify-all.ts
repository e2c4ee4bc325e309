import type { Remote } from '../app.js';
import type { FolderRef, Identity, MessageId, Repository } from '../types.js';
import { retrying } from './retrying.js';

const IDENTIFY_BATCH = 500;

/** Identities of `ids` in `folder`, asked in batches. */
export async function identifyAll(repository: Remote<Repository>, folder: FolderRef, ids: readonly MessageId[]): Promise<Map<MessageId, Identity>> {
  const identities = new Map<MessageId, Identity>();
  for (let i = 0; i < ids.length; i += IDENTIFY_BATCH) {
    const batch = ids.slice(i, i + IDENTIFY_BATCH);
    for (const found of await retrying(() => repository.identify(folder, batch))) identities.set(found.id, found.identity);
  }
  return identities;
}
