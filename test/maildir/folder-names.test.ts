import fc from 'fast-check';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, FolderNameError, StoreError } from '../../src/api/errors.js';
import {
  checkInboxDir,
  folderOfMaildirPlusPlusDir,
  folderOfNestedDirs,
  folderPathSegments,
  folderOfFlatDir,
  pathInsideRoot,
  type MaildirLayout,
} from '../../src/core/maildir/folder-names.js';
import { LAYOUTS } from './helpers.js';

const ROOT = join(sep, 'home', 'u', 'Maildir');

/** INBOX's directory: none (the root) but in the flat layout, where it always has one. */
const inboxOf = (layout: MaildirLayout) => (layout === 'flat' ? 'INBOX' : undefined);

function decode(dirs: string[], layout: MaildirLayout): string | undefined {
  if (dirs.length === 0) return 'INBOX';
  if (layout === 'flat') return dirs.length === 1 ? folderOfFlatDir(dirs[0]!, 'INBOX') : undefined;
  return layout === 'maildir++' ? (dirs.length === 1 ? folderOfMaildirPlusPlusDir(dirs[0]!) : undefined) : folderOfNestedDirs(dirs);
}

/** Strings rich in the characters the escaping is about. */
const hostileName = fc.string({
  unit: fc.oneof(
    fc.constantFrom('.', '..', '/', '%', '%2E', '\u0000', '\u0001', '\u001f', '\u007f', 'cur', 'new', 'tmp', 'INBOX', 'dovecot', 'imapfw-', '&AMk-', 'é', '日', '😀', '~', '\\'),
    fc.string({ unit: 'binary', maxLength: 3 }),
  ),
  maxLength: 12,
});

describe('folder name mapping', () => {
  it.each([
    ['INBOX', [], []],
    ['Archive', ['.Archive'], ['Archive']],
    ['A/B', ['.A.B'], ['A', 'B']],
    ['a.b', ['.a%2Eb'], ['a.b']],
    ['.hidden', ['.%2Ehidden'], ['%2Ehidden']],
    ['..', ['.%2E%2E'], ['%2E.']],
    ['../../etc', ['.%2E%2E.%2E%2E.etc'], ['%2E.', '%2E.', 'etc']],
    ['50%', ['.50%25'], ['50%25']],
    ['nul\u0000', ['.nul%00'], ['nul%00']],
    ['cur', ['.cur'], ['%63ur']],
    ['A/tmp', ['.A.tmp'], ['A', '%74mp']],
    ['dovecot-uidlist', ['.dovecot-uidlist'], ['%64ovecot-uidlist']],
    ['', ['.%'], ['%']],
    ['a//b', ['.a.%.b'], ['a', '%', 'b']],
    ['Été/日本', ['.Été.日本'], ['Été', '日本']],
    ['&AMk-t', ['.&AMk-t'], ['&AMk-t']],
    ['INBOX/Sub', ['.INBOX.Sub'], ['INBOX', 'Sub']],
  ] as const)('%j', (name, plusPlus, nested) => {
    expect(folderPathSegments(name, 'maildir++')).toEqual(plusPlus);
    expect(folderPathSegments(name, 'nested')).toEqual(nested);
    expect(decode([...plusPlus], 'maildir++')).toBe(name);
    expect(decode([...nested], 'nested')).toBe(name);
  });

  it.each(LAYOUTS)('%s: decode(encode(x)) === x and the path stays under the root, for any string', (layout) => {
    fc.assert(
      fc.property(fc.oneof(hostileName, fc.string({ unit: 'binary' })), (name) => {
        const dirs = folderPathSegments(name, layout, inboxOf(layout));
        expect(decode(dirs, layout)).toBe(name);
        const path = pathInsideRoot(ROOT, dirs);
        const rel = relative(ROOT, path);
        expect(rel.split(sep)).not.toContain('..');
        expect(path === ROOT || path.startsWith(ROOT + sep)).toBe(true);
        for (const dir of dirs) {
          expect(dir).not.toMatch(/[\u0000-\u001f\u007f/]/);
          expect(['.', '..', 'cur', 'new', 'tmp']).not.toContain(dir);
        }
        // Only INBOX is the root (in flat, INBOX/ alone).
        if (layout === 'flat') expect(dirs.length === 1 && dirs[0] === 'INBOX').toBe(name === 'INBOX');
        else expect(dirs.length === 0).toBe(name === 'INBOX');
      }),
      { numRuns: 2000 },
    );
  });

  it.each(LAYOUTS)('%s: a string that is not valid Unicode is refused with FolderNameError, never mangled', (layout) => {
    const utf16 = fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 8 });
    fc.assert(
      fc.property(utf16, (name) => {
        const wellFormed = !/\p{Cs}/u.test(name);
        if (wellFormed) expect(decode(folderPathSegments(name, layout, inboxOf(layout)), layout)).toBe(name);
        else expect(() => folderPathSegments(name, layout, inboxOf(layout))).toThrow(FolderNameError);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a name too long for a file name', () => {
    expect(() => folderPathSegments('x'.repeat(300), 'nested')).toThrow(/longer than 255 bytes/);
    expect(() => folderPathSegments(Array(100).fill('abc').join('/'), 'maildir++')).toThrow(FolderNameError);
    expect(folderPathSegments(Array(100).fill('abc').join('/'), 'nested')).toHaveLength(100);
  });

  it('refuses a folder nested deeper than a path the system accepts, naming the folder', () => {
    const deep = Array(1000).fill('abcd').join('/');
    expect(() => pathInsideRoot(ROOT, folderPathSegments(deep, 'nested'), deep)).toThrow(FolderNameError);
    expect(pathInsideRoot(ROOT, folderPathSegments('a/b', 'nested'), 'a/b')).toBe(`${ROOT}/a/b`);
  });

  it('reads only directory names it writes, so a listed name maps back to its own directory', () => {
    for (const foreign of ['.a%2eb', '.x%zz', '.a..b', '.INBOX', '.%41']) expect(folderOfMaildirPlusPlusDir(foreign)).toBeUndefined();
    for (const foreign of [['.git'], ['cur'], ['a', '..'], ['INBOX'], ['%2e']]) expect(folderOfNestedDirs(foreign)).toBeUndefined();
    expect(folderOfMaildirPlusPlusDir('plain')).toBeUndefined();
  });

  it.each(['INBOX', 'Inbox'])('nested with INBOX in the directory %s (mbsync\'s Verbatim): INBOX and its sub-folders there, any other name round-trips, and no folder takes that directory', (inbox) => {
    expect(folderPathSegments('INBOX', 'nested', inbox)).toEqual([inbox]);
    expect(folderPathSegments('INBOX/Sub/Deep', 'nested', inbox)).toEqual([inbox, 'Sub', 'Deep']);
    expect(folderOfNestedDirs([inbox], inbox)).toBe('INBOX');
    expect(folderOfNestedDirs([inbox, 'Sub'], inbox)).toBe('INBOX/Sub');
    if (inbox !== 'INBOX') {
      // A folder of that very name (some servers have 'Inbox' beside INBOX) would share INBOX's directory: refused.
      expect(() => folderPathSegments(inbox, 'nested', inbox)).toThrow(FolderNameError);
      expect(() => folderPathSegments(`${inbox}/x`, 'nested', inbox)).toThrow(/holds INBOX here/);
    }
    fc.assert(
      fc.property(fc.oneof(hostileName, fc.string({ unit: 'binary' })), (name) => {
        let dirs: string[];
        try {
          dirs = folderPathSegments(name, 'nested', inbox);
        } catch (error) {
          // Refused: a name no file system holds, or one whose first level is INBOX's directory.
          expect(error).toBeInstanceOf(FolderNameError);
          return;
        }
        expect(folderOfNestedDirs(dirs, inbox)).toBe(name);
        // INBOX's directory holds INBOX and its sub-folders, nothing else; the root is no folder.
        expect(dirs.length).toBeGreaterThan(0);
        expect(dirs[0] === inbox).toBe(name === 'INBOX' || name.startsWith('INBOX/'));
      }),
      { numRuns: 2000 },
    );
    // The other spelling of INBOX's directory is no folder of this scheme: read as nothing, so never synced as another folder.
    const other = inbox === 'INBOX' ? 'Inbox' : 'INBOX';
    expect(folderOfNestedDirs([other], inbox)).toBe(other === 'Inbox' ? 'Inbox' : undefined);
  });

  it('an INBOX directory needs the nested or flat layout and one plain directory name', () => {
    expect(() => checkInboxDir('INBOX', 'nested')).not.toThrow();
    expect(() => checkInboxDir('INBOX', 'flat')).not.toThrow();
    expect(() => checkInboxDir('INBOX', 'maildir++')).toThrow(/needs the nested or flat layout/);
    for (const bad of ['', '.inbox', 'cur', 'a/b', 'x%y', 'imapfw-in']) expect(() => checkInboxDir(bad, 'nested'), bad).toThrow(ConfigError);
    for (const bad of ['', '.inbox', 'cur', 'a/b', 'x%y', 'In.box']) expect(() => checkInboxDir(bad, 'flat'), bad).toThrow(ConfigError);
  });

  it('pathInsideRoot refuses a path outside the root', () => {
    expect(() => pathInsideRoot(ROOT, ['..', 'etc'])).toThrow(StoreError);
    expect(() => pathInsideRoot(ROOT, ['/etc'])).toThrow(StoreError);
    expect(() => pathInsideRoot(ROOT, ['..', 'MaildirX'])).toThrow(StoreError);
    expect(pathInsideRoot(ROOT, [])).toBe(ROOT);
  });
});
