import { describe, expect, it } from 'vitest';
import { FolderNameError, StoreError } from '../../src/api/errors.js';
import { canonicalFolderName, serverFolderPath } from '../../src/core/imap/folder-names.js';
import { toUid, uidSets } from '../../src/core/imap/uid-set.js';

const slash = { delimiter: '/', prefix: '' };
const dot = { delimiter: '.', prefix: '' };
const courier = { delimiter: '.', prefix: 'INBOX.' };

describe('folder names', () => {
  it('maps the delimiter both ways and keeps UTF-8', () => {
    expect(canonicalFolderName('Été.Août', dot)).toBe('Été/Août');
    expect(serverFolderPath('Été/Août', dot)).toBe('Été.Août');
    expect(serverFolderPath('Été/Août', slash)).toBe('Été/Août');
  });

  it('treats INBOX case-insensitively and upper-cases it', () => {
    expect(canonicalFolderName('inbox', dot)).toBe('INBOX');
    expect(serverFolderPath('Inbox', courier)).toBe('INBOX');
  });

  it('leaves the namespace prefix out of canonical names and puts it back', () => {
    expect(canonicalFolderName('INBOX.Archive.2024', courier)).toBe('Archive/2024');
    expect(serverFolderPath('Archive/2024', courier)).toBe('INBOX.Archive.2024');
    expect(canonicalFolderName('Shared.Team', courier)).toBeUndefined();
  });

  it('cannot represent a "/" inside a level, nor empty levels', () => {
    expect(canonicalFolderName('a/b.c', dot)).toBeUndefined();
    expect(canonicalFolderName('a..b', dot)).toBeUndefined();
  });

  it('refuses names the server cannot hold with a FolderNameError', () => {
    expect(() => serverFolderPath('dotted.name', dot)).toThrow(FolderNameError);
    expect(() => serverFolderPath('a//b', slash)).toThrow(/empty level/);
    expect(() => serverFolderPath('a/b', { delimiter: null, prefix: '' })).toThrow(/flat list/);
  });
});

describe('uid sets', () => {
  it('packs runs and splits long sets', () => {
    expect(uidSets([5, 1, 2, 3, 9, 3, 10])).toEqual(['1:3,5,9:10']);
    const scattered = Array.from({ length: 3000 }, (_, i) => 2 * i + 1);
    const sets = uidSets(scattered, 1000);
    expect(sets.length).toBeGreaterThan(5);
    expect(sets.every((s) => s.length <= 1000)).toBe(true);
    expect(sets.join(',').split(',').map(Number)).toEqual(scattered);
  });

  it('accepts only UIDs as ids', () => {
    expect(toUid('42')).toBe(42);
    for (const bad of ['0', '-1', '1.5', 'abc', '4294967296', '007']) expect(() => toUid(bad)).toThrow(StoreError);
  });
});
