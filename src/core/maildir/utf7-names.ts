/**
 * Folder directories named in modified UTF-7 (RFC 3501 5.1.3), as mbsync
 * (without `Utf8 yes`), offlineimap (without `utf8foldernames`) and Dovecot
 * (without its UTF-8 mail_location option) write a server folder's name:
 * 'Entw&APw-rfe' for 'Entwürfe'. imapfw writes UTF-8, so such a directory
 * read as it is would be a second folder beside the real one.
 */

/**
 * The folder name `name` stands for when it reads as modified UTF-7 of a
 * name with non-ASCII characters (canonically encoded: it encodes back to
 * itself); undefined otherwise ('R&D', 'Tom&-Jerry' and plain names).
 */
export async function modifiedUtf7Name(name: string): Promise<string | undefined> {
  // The codec is loaded only for a name that could be one: most Maildirs have none.
  if (!/^[\x20-\x7e]*$/.test(name) || !/&[A-Za-z0-9+,]+-/.test(name)) return undefined;
  const { default: iconv } = await import('iconv-lite');
  const decoded = iconv.decode(Buffer.from(name, 'latin1'), 'utf-7-imap');
  if (!/[^\x00-\x7f]/.test(decoded) || iconv.encode(decoded, 'utf-7-imap').toString('latin1') !== name) return undefined;
  return decoded;
}
