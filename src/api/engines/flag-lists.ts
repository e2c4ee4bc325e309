/**
 * Flag lists shared by every message with the same flags, frozen: a folder's
 * thousands of messages carry a handful of distinct lists, and one array per
 * message held for the length of a copy made memory grow with the folder.
 */
export class FlagLists {
  private readonly lists = new Map<string, readonly string[]>();

  /** The shared list of these flags, in this order. */
  of(flags: readonly string[]): readonly string[] {
    const key = JSON.stringify(flags);
    let shared = this.lists.get(key);
    if (!shared) this.lists.set(key, (shared = Object.freeze([...flags])));
    return shared;
  }
}
