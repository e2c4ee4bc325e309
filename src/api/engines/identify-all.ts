import type { Remote } from '../app.js';
import type { FolderRef, Identity, MessageId, Repository } from '../types.js';
import { retrying } from './retrying.js';

const IDENTIFY_BATCH = 500;

export interface IdentifyAllOptions {
  /** Identities known already (see SeenIdentities): taken from here, not asked. */
  known?: ReadonlyMap<MessageId, Identity>;
  /** Filled with the INTERNALDATE the store told with an identity (a Maildir's file time), by id. */
  dates?: Map<MessageId, number>;
}

/** Identities of `ids` in `folder`, asked in batches. */
export async function identifyAll(
  repository: Remote<Repository>,
  folder: FolderRef,
  ids: readonly MessageId[],
  { known, dates }: IdentifyAllOptions = {},
): Promise<Map<MessageId, Identity>> {
  const identities = new Map<MessageId, Identity>();
  const asked = known?.size ? ids.filter((id) => !known.has(id)) : ids;
  if (asked !== ids) for (const id of ids) if (known!.has(id)) identities.set(id, known!.get(id)!);
  for (let i = 0; i < asked.length; i += IDENTIFY_BATCH) {
    const batch = asked.slice(i, i + IDENTIFY_BATCH);
    for (const found of await retrying(() => repository.identify(folder, batch))) {
      identities.set(found.id, found.identity);
      if (dates && found.internalDate !== undefined) dates.set(found.id, found.internalDate);
    }
  }
  return identities;
}
