/**
 * mbsync's record of a Maildir folder's last sync (`SyncState *`: the
 * folder's `.mbsyncstate`), read so that imapfw's first sync of a folder
 * mbsync kept has a base: a message deleted on one side since mbsync last
 * ran is deleted on the other, and a flag cleared on one side is cleared on
 * the other, where without it the message would come back and the flag be
 * merged as a union.
 *
 * The file (isync 1.3 to 1.5): `Key value` header lines (FarUidValidity or
 * MasterUidValidity, NearUidValidity or SlaveUidValidity, MaxPulledUid...),
 * a blank line, then one `<far uid> <near uid> <status><flags>` line per
 * message pair. The near uid is the `,U=<n>` field of the message's file
 * name; the folder's `.uidvalidity` holds the near side's UIDVALIDITY.
 * Entries with a status mark (`^` skipped, `!` pending, `~` expired) or a
 * uid of 0 or less on a side were not paired on both sides: left out.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MessageId, PriorSync } from '../../api/types.js';
import { idsByUid, recordFlags, recordPairs, refusedRecord } from './prior-record.js';

export const MBSYNC_STATE_FILE = '.mbsyncstate';
const MBSYNC_UID_VALIDITY_FILE = '.uidvalidity';

export interface MbsyncState {
  farUidValidity: string;
  nearUidValidity: string;
  /** Pairs made on both sides, with the flags both had (imapfw's names). */
  entries: { far: number; near: number; flags: string[] }[];
}

/** The state file's text, parsed; a string saying what is wrong with it when it is not mbsync's. */
export function parseMbsyncState(text: string): MbsyncState | string {
  const lines = text.split('\n');
  const header = new Map<string, string>();
  let at = 0;
  for (; at < lines.length && lines[at] !== ''; at++) {
    const match = /^(\w+) (\d+)$/.exec(lines[at]!);
    if (!match) return `line ${at + 1} is not a header line`;
    header.set(match[1]!, match[2]!);
  }
  if (at === lines.length) return 'its header has no end';
  const farUidValidity = header.get('FarUidValidity') ?? header.get('MasterUidValidity');
  const nearUidValidity = header.get('NearUidValidity') ?? header.get('SlaveUidValidity');
  if (farUidValidity === undefined || nearUidValidity === undefined) return 'its header names no UIDVALIDITY';
  const entries: MbsyncState['entries'] = [];
  for (let line = at + 1; line < lines.length; line++) {
    if (lines[line] === '') continue;
    const match = /^(-?\d+) (-?\d+) (.*)$/.exec(lines[line]!);
    if (!match) return `line ${line + 1} is not a message entry`;
    const [far, near, rest] = [Number(match[1]), Number(match[2]), match[3]!];
    if (far <= 0 || near <= 0 || /^[\^!~]/.test(rest)) continue;
    const flags = recordFlags(rest);
    if (!flags) return `line ${line + 1} has flags mbsync does not write (${rest})`;
    entries.push({ far, near, flags });
  }
  return { farUidValidity, nearUidValidity, entries };
}

/**
 * Where mbsync keeps the record of the Maildir folder `folder` (a canonical
 * name) when its `SyncState` is a directory, not `*`: a file named by the
 * folder's box (`Lists!dev`: a channel's own SyncState) or by both boxes and
 * their stores (`:remote:Lists!dev_:local:Lists!dev`: the global one).
 * Undefined when there is none; the names when several channels kept one.
 */
export function mbsyncStateFile(stateDir: string, folder: string): string | { several: string[] } | undefined {
  const box = folder.replaceAll('/', '!');
  const found = readdirSync(stateDir).filter((name) => name === box || isChannelRecord(name, box));
  if (found.length > 1) return { several: found.sort() };
  return found.length === 1 ? join(stateDir, found[0]!) : undefined;
}

/** `:<far store>:<far box>_:<near store>:<box>`, as mbsync names a record under its global SyncState. */
function isChannelRecord(name: string, box: string): boolean {
  const suffix = `:${box}`;
  if (!name.startsWith(':') || !name.endsWith(suffix)) return false;
  const head = name.slice(0, -suffix.length);
  const near = head.lastIndexOf('_:');
  return near > 0 && !head.slice(near + 2).includes(':') && /^:[^:]+:/.test(head);
}

/**
 * mbsync's record of the folder in `dir`, as pairs of the server's UIDs and
 * this folder's ids (`ids`: every message it holds now), from `stateFile`
 * (default: the folder's own, `SyncState *`); undefined when there is none.
 * A record that cannot be believed says why in `unusable` and holds no pairs.
 */
export function readMbsyncRecord(dir: string, ids: readonly MessageId[], stateFile = join(dir, MBSYNC_STATE_FILE)): PriorSync | undefined {
  let text: string;
  try {
    text = readFileSync(stateFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // mbsync writes a journal while it runs and replays it at its next start: there, the record lags behind the folder.
  if (existsSync(`${stateFile}.journal`)) return refusedRecord('mbsync', `mbsync's last run on it did not finish (${stateFile}.journal is there)`);
  const state = parseMbsyncState(text);
  if (typeof state === 'string') return refusedRecord('mbsync', `${stateFile} is not as mbsync writes it: ${state}`);
  const nearUidValidity = readFirstLine(join(dir, MBSYNC_UID_VALIDITY_FILE));
  if (nearUidValidity !== state.nearUidValidity) {
    return refusedRecord('mbsync', `its ${MBSYNC_UID_VALIDITY_FILE} (${nearUidValidity ?? 'none'}) is not the one mbsync's record was made under (${state.nearUidValidity})`);
  }
  const pairs = recordPairs('mbsync', state.entries.map(({ far, near, flags }) => ({ server: far, local: near, flags })), idsByUid(ids));
  return { tool: 'mbsync', serverUidValidity: state.farUidValidity, pairs };
}

function readFirstLine(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').split('\n')[0]!.trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
