/** Message flags without \Recent, which belongs to a session, not to the message. */
export function flagList(flags: Iterable<string> | undefined): string[] {
  return flags ? [...flags].filter((flag) => flag.toLowerCase() !== '\\recent') : [];
}

/** INTERNALDATE as milliseconds; imapflow leaves a date it cannot parse as a string. */
export function toMillis(date: Date | string | undefined): number {
  if (date instanceof Date) return date.getTime();
  const parsed = date ? Date.parse(date) : NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}
