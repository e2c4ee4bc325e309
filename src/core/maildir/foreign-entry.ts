/** A file or directory in the Maildir that is not ours to read or touch: reported, never deleted. */
export interface ForeignEntry {
  path: string;
  reason: string;
}
