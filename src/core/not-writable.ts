/** Error codes of a place this user cannot write: a read-only file system, another user's file or directory. */
export const NOT_WRITABLE_CODES: ReadonlySet<string> = new Set(['EROFS', 'EACCES', 'EPERM']);
