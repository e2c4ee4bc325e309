// mbsync's `.mbsyncstate` as imapfw reads it: every header spelling isync
// has written, entries that were not paired on both sides left out, the
// near uid found in the file names, and a record refused (with why) where
// believing it could delete or unflag the wrong message.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { mbsyncStateFile, parseMbsyncState, readMbsyncRecord } from '../../src/core/maildir/mbsync-state.js';

const HEADER = 'FarUidValidity 1700000000\nNearUidValidity 1700000001\nMaxPulledUid 9\nMaxPushedUid 4\n\n';

describe('parseMbsyncState', () => {
  it('reads the entries paired on both sides, with their flags in IMAP names', () => {
    const state = parseMbsyncState(`${HEADER}1 1 S\n2 2 \n3 3 DFPRST\n4 0 \n0 5 \n-1 6 \n7 7 ^S\n8 8 !\n9 9 ~F\n`);
    expect(state).toEqual({
      farUidValidity: '1700000000',
      nearUidValidity: '1700000001',
      entries: [
        { far: 1, near: 1, flags: ['\\Seen'] },
        { far: 2, near: 2, flags: [] },
        { far: 3, near: 3, flags: ['\\Draft', '\\Flagged', '\\Answered', '\\Seen', '\\Deleted'] },
      ],
    });
  });

  it("reads isync 1.3's Master/Slave header", () => {
    const state = parseMbsyncState('MasterUidValidity 5\nSlaveUidValidity 6\nMaxPulledUid 1\nMaxPushedUid 1\nMaxExpiredMasterUid 0\n\n1 1 F\n');
    expect(state).toMatchObject({ farUidValidity: '5', nearUidValidity: '6', entries: [{ far: 1, near: 1, flags: ['\\Flagged'] }] });
  });

  it.each([
    ['a header without its end', 'FarUidValidity 1\nNearUidValidity 2', /no end/],
    ['no UIDVALIDITY', 'MaxPulledUid 1\n\n1 1 S\n', /names no UIDVALIDITY/],
    ['a line that is no header', 'FarUidValidity 1\nsomething else\n\n', /line 2 is not a header line/],
    ['a line that is no entry', `${HEADER}1 1 S\nnot an entry\n`, /line 7 is not a message entry/],
    ['flags mbsync never writes', `${HEADER}1 1 S$label\n`, /flags mbsync does not write \(S\$label\)/],
  ])('refuses %s', (_, text, why) => {
    expect(parseMbsyncState(text)).toMatch(why);
  });
});

describe('readMbsyncRecord', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function folder(state: string | undefined, files: string[], uidValidity = '1700000001\n9\n'): string[] {
    dir = mkdtempSync(join(tmpdir(), 'imapfw-mbsync-'));
    for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(dir, sub));
    if (state !== undefined) writeFileSync(join(dir, '.mbsyncstate'), state);
    writeFileSync(join(dir, '.uidvalidity'), uidValidity);
    return files;
  }

  it('pairs each entry with the file holding its near uid, and names no message for a file deleted since', () => {
    const ids = folder(`${HEADER}1 1 S\n2 2 F\n3 3 \n`, ['1700.1_1.host,U=1', '1700.1_3.host,U=3,S=200', '1700.1_9.host,U=31']);
    expect(readMbsyncRecord(dir, ids)).toEqual({
      tool: 'mbsync',
      serverUidValidity: '1700000000',
      pairs: [
        { server: '1', here: '1700.1_1.host,U=1', flags: ['\\Seen'] },
        { server: '2', here: 'mbsync:U=2', flags: ['\\Flagged'] },
        { server: '3', here: '1700.1_3.host,U=3,S=200', flags: [] },
      ],
    });
  });

  it('is undefined where mbsync kept no record', () => {
    expect(readMbsyncRecord(dir = mkdtempSync(join(tmpdir(), 'imapfw-mbsync-')), [])).toBeUndefined();
  });

  it('leaves out an entry whose near uid two files carry, and entries naming one uid twice', () => {
    const ids = folder(`${HEADER}1 1 S\n2 2 \n3 3 \n3 4 \n5 5 \n6 5 \n`, ['a,U=1', 'b,U=1', 'c,U=2', 'd,U=3', 'e,U=4', 'f,U=5']);
    expect(readMbsyncRecord(dir, ids)?.pairs).toEqual([{ server: '2', here: 'c,U=2', flags: [] }]);
  });

  it.each([
    ['mbsync did not finish its last run', () => writeFileSync(join(dir, '.mbsyncstate.journal'), '1\n'), /did not finish \(.*\/\.mbsyncstate\.journal is there\)/],
    ['the folder was renumbered since', () => writeFileSync(join(dir, '.uidvalidity'), '1800000000\n1\n'), /\.uidvalidity \(1800000000\) is not the one mbsync's record was made under \(1700000001\)/],
    ['the folder has no .uidvalidity', () => rmSync(join(dir, '.uidvalidity')), /\.uidvalidity \(none\)/],
  ])('refuses the record when %s', (_, change, why) => {
    const ids = folder(`${HEADER}1 1 S\n`, ['a,U=1']);
    change();
    const record = readMbsyncRecord(dir, ids);
    expect(record?.unusable).toMatch(why);
    expect(record?.pairs).toEqual([]);
  });

  it('refuses a file that is not as mbsync writes it', () => {
    const ids = folder('FarUidValidity 1\nNearUidValidity 2', ['a,U=1']);
    expect(readMbsyncRecord(dir, ids)?.unusable).toMatch(/\/\.mbsyncstate is not as mbsync writes it: its header has no end/);
  });
});

describe('mbsyncStateFile', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function stateDir(names: string[]): string {
    dir = mkdtempSync(join(tmpdir(), 'imapfw-mbsync-state-'));
    for (const name of names) writeFileSync(join(dir, name), '');
    return dir;
  }

  it("finds a channel's own record (the box) and the global one (stores and boxes), '/' written '!'", () => {
    const at = stateDir(['INBOX', ':remote:Lists!dev_:local:Lists!dev', ':remote:Lists!dev_:local:Lists!dev.journal', ':remote:dev_:local:dev', 'Lists']);
    expect(mbsyncStateFile(at, 'INBOX')).toBe(join(at, 'INBOX'));
    expect(mbsyncStateFile(at, 'Lists/dev')).toBe(join(at, ':remote:Lists!dev_:local:Lists!dev'));
    expect(mbsyncStateFile(at, 'Archive')).toBeUndefined();
  });

  it('names every record when several channels kept one of the folder', () => {
    const at = stateDir([':work:INBOX_:local:INBOX', ':home:INBOX_:local:INBOX']);
    expect(mbsyncStateFile(at, 'INBOX')).toEqual({ several: [':home:INBOX_:local:INBOX', ':work:INBOX_:local:INBOX'] });
  });
});
