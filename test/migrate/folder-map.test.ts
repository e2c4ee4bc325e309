import { describe, expect, it } from 'vitest';
import { folderMapper, folderRole } from '../../src/api/engines/folder-map.js';
import type { FolderInfo } from '../../src/api/types.js';

const folders = (...names: (string | FolderInfo)[]): FolderInfo[] => names.map((n) => (typeof n === 'string' ? { name: n } : n));

describe('folderRole', () => {
  it('prefers the declared SPECIAL-USE, else a common name at the top level or under INBOX/ or [Gmail]/', () => {
    expect(folderRole({ name: 'Whatever', specialUse: '\\Sent' })).toBe('\\Sent');
    expect(folderRole({ name: 'Sent', specialUse: '\\All' })).toBeUndefined();
    expect(folderRole({ name: 'Sent Items' })).toBe('\\Sent');
    expect(folderRole({ name: 'INBOX/Gesendete Objekte' })).toBe('\\Sent');
    expect(folderRole({ name: '[Gmail]/Sent Mail' })).toBe('\\Sent');
    expect(folderRole({ name: 'Deleted Items' })).toBe('\\Trash');
    expect(folderRole({ name: 'Brouillons' })).toBe('\\Drafts');
    expect(folderRole({ name: 'Junk E-mail' })).toBe('\\Junk');
    expect(folderRole({ name: 'spam' })).toBe('\\Junk');
    expect(folderRole({ name: 'Archives' })).toBe('\\Archive');
    expect(folderRole({ name: 'Projects/Sent' })).toBeUndefined();
    expect(folderRole({ name: 'INBOX' })).toBeUndefined();
  });
});

describe('folderMapper', () => {
  it('is the identity without rules', () => {
    const map = folderMapper({}, folders('INBOX', 'A/B'), folders());
    expect(map('INBOX')).toBe('INBOX');
    expect(map('A/B')).toBe('A/B');
  });

  it('applies regex rules in order, first match unless the g flag is given', () => {
    const map = folderMapper(
      { rules: [{ pattern: '^Old/(.*)$', replacement: 'Archive/$1' }, { pattern: '\\.', replacement: '_', flags: 'g' }, { pattern: 'x', replacement: 'y' }] },
      folders(),
      folders(),
    );
    expect(map('Old/2019.a.b')).toBe('Archive/2019_a_b');
    expect(map('xx')).toBe('yx');
    expect(map('INBOX')).toBe('INBOX');
  });

  it('automaps by SPECIAL-USE on both sides, then by common names', () => {
    const left = folders({ name: 'Sent Items' }, { name: 'Gelöscht', specialUse: '\\Trash' }, 'Drafts', 'Spam', 'Archive', 'Work');
    const right = folders('INBOX', { name: 'Sent', specialUse: '\\Sent' }, 'Sent Messages', { name: 'Trash', specialUse: '\\Trash' }, 'Entwürfe', 'Junk');
    const map = folderMapper({ automap: true }, left, right);
    expect(map('Sent Items')).toBe('Sent');
    expect(map('Gelöscht')).toBe('Trash');
    expect(map('Drafts')).toBe('Entwürfe');
    expect(map('Spam')).toBe('Junk');
    // No archive on the right: the name stays.
    expect(map('Archive')).toBe('Archive');
    expect(map('Work')).toBe('Work');
  });

  it('does not automap without --automap', () => {
    const map = folderMapper({}, folders('Sent Items'), folders({ name: 'Sent', specialUse: '\\Sent' }));
    expect(map('Sent Items')).toBe('Sent Items');
  });

  it('strips and adds prefixes, never on INBOX, before automap and rules', () => {
    const map = folderMapper({ stripPrefix: 'INBOX/', addPrefix: 'Old/', automap: true, rules: [{ pattern: '^Old/Trash$', replacement: 'Old/Bin' }] }, folders('INBOX/Sent'), folders('Sent'));
    expect(map('INBOX')).toBe('INBOX');
    expect(map('INBOX/Projects/A')).toBe('Old/Projects/A');
    expect(map('Trash')).toBe('Old/Bin');
    // automap picks the target's own Sent, prefix or not.
    expect(map('INBOX/Sent')).toBe('Sent');
  });

  it('normalises inbox and refuses names with an empty level', () => {
    const map = folderMapper({ rules: [{ pattern: '^Mail$', replacement: 'inbox' }, { pattern: '^Bad$', replacement: 'a//b' }, { pattern: '^Gone$', replacement: '' }] }, folders(), folders());
    expect(map('Mail')).toBe('INBOX');
    expect(() => map('Bad')).toThrow(/"Bad" maps to "a\/\/b"/);
    expect(() => map('Gone')).toThrow(/empty level/);
  });

  it('refuses a bad regular expression with a ConfigError', () => {
    expect(() => folderMapper({ rules: [{ pattern: '(', replacement: '' }] }, [], [])).toThrow(expect.objectContaining({ code: 'ECONFIG' }));
  });
});
