import type { MessageMeta } from '../types.js';

/**
 * Which messages of the left side (the source) an engine copies, by
 * INTERNALDATE and size (imapsync's --maxage, --minage, --maxsize). Plain
 * data: it crosses threads as an engine option.
 */
export interface MessageSelection {
  /** Only messages at most this many days old. */
  maxAgeDays?: number;
  /** Only messages at least this many days old. */
  minAgeDays?: number;
  /** Only messages of at most this many bytes (RFC822.SIZE). */
  maxSize?: number;
  /** The moment ages are measured from, in ms since the epoch; default: when the engine plans. Fix it so that every folder and the verification agree. */
  now?: number;
}

const DAY_MS = 86_400_000;

/**
 * True when `selection` keeps `message`; no selection keeps everything. A
 * message without its INTERNALDATE (a scan not asked for dates, see
 * `selectsByAge`) is kept: left out, it would be neither copied nor known.
 */
export function selects(selection: MessageSelection | undefined, message: Pick<MessageMeta, 'size' | 'internalDate'>, now = selection?.now ?? Date.now()): boolean {
  if (!selection) return true;
  if (selection.maxSize !== undefined && message.size > selection.maxSize) return false;
  const date = message.internalDate;
  if (date === undefined) return true;
  if (selection.maxAgeDays !== undefined && date < now - selection.maxAgeDays * DAY_MS) return false;
  if (selection.minAgeDays !== undefined && date > now - selection.minAgeDays * DAY_MS) return false;
  return true;
}

/** True when the selection goes by INTERNALDATE: the scans it filters must be asked for dates (ScanOptions.internalDates). */
export function selectsByAge(selection: MessageSelection | undefined): boolean {
  return selection?.maxAgeDays !== undefined || selection?.minAgeDays !== undefined;
}

/** True when the selection can leave any message out. */
export function isSelective(selection: MessageSelection | undefined): selection is MessageSelection {
  return selection !== undefined && (selection.maxAgeDays !== undefined || selection.minAgeDays !== undefined || selection.maxSize !== undefined);
}
