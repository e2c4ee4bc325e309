import fc from 'fast-check';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FolderNameError, StoreError } from '../../src/api/errors.js';
import {
  folderOfMaildirPlusPlusDir,
  folderOfNestedDirs,
  folderPathSegments,
  pathInsideRoot,
  type MaildirLayout,
} from '../../src/core/maildir/folder-names.js';
import { LAYOUTS } from './helpers.js';

const ROOT = join(sep, 'home', 'u', 'Maildir');

function decode(dirs: string[], layout: MaildirLayout): string | undefined {
  if (dirs.length === 0) return 'INBOX';
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
        const dirs = folderPathSegments(name, layout);
        expect(decode(dirs, layout)).toBe(name);
        const path = pathInsideRoot(ROOT, dirs);
        const rel = relative(ROOT, path);
        expect(rel.split(sep)).not.toContain('..');
        expect(path === ROOT || path.startsWith(ROOT + sep)).toBe(true);
        for (const dir of dirs) {
          expect(dir).not.toMatch(/[\u0000-\u001f\u007f/]/);
          expect(['.', '..', 'cur', 'new', 'tmp']).not.toContain(dir);
        }
        // Only INBOX is the root.
        expect(dirs.length === 0).toBe(name === 'INBOX');
      }),
      { numRuns: 2000 },
    );
  });

  it.each(LAYOUTS)('%s: a string that is not valid Unicode is refused with FolderNameError, never mangled', (layout) => {
    const utf16 = fc.string({ unit: fc.nat(0xffff).map((code) => String.fromCharCode(code)), maxLength: 8 });
    fc.assert(
      fc.property(utf16, (name) => {
        const wellFormed = !/\p{Cs}/u.test(name);
        if (wellFormed) expect(decode(folderPathSegments(name, layout), layout)).toBe(name);
        else expect(() => folderPathSegments(name, layout)).toThrow(FolderNameError);
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

  it('pathInsideRoot refuses a path outside the root', () => {
    expect(() => pathInsideRoot(ROOT, ['..', 'etc'])).toThrow(StoreError);
    expect(() => pathInsideRoot(ROOT, ['/etc'])).toThrow(StoreError);
    expect(() => pathInsideRoot(ROOT, ['..', 'MaildirX'])).toThrow(StoreError);
    expect(pathInsideRoot(ROOT, [])).toBe(ROOT);
  });
});
