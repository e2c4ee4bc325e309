import { describe, expect, it } from 'vitest';
import { alike, type IdentifiedFolder } from '../../src/apps/migrate/same-folder.js';

const listed = (uidValidity: string, identities: Record<string, string>): IdentifiedFolder => ({ ref: { name: 'INBOX', uidValidity }, identities: new Map(Object.entries(identities)) });

describe('alike', () => {
  const source = listed('7', { '1': 'mid:a', '2': 'mid:b', '3': 'mid:c' });

  it('one folder listed twice is alike', () => {
    expect(alike(source, listed('7', { '1': 'mid:a', '2': 'mid:b', '3': 'mid:c' }), ['1', '2', '3'])).toBe(true);
  });

  it('a message that arrived between the two listings does not tell them apart: only verified messages count', () => {
    expect(alike(source, listed('7', { '1': 'mid:a', '2': 'mid:b', '3': 'mid:c', '4': 'mid:d' }), ['1', '2', '3'])).toBe(true);
  });

  it('another UIDVALIDITY, a verified message at another UID, or another message at its UID tell them apart', () => {
    expect(alike(source, listed('8', { '1': 'mid:a', '2': 'mid:b', '3': 'mid:c' }), ['1', '2', '3'])).toBe(false);
    expect(alike(source, listed('7', { '1': 'mid:a', '2': 'mid:b', '4': 'mid:c' }), ['1', '2', '3'])).toBe(false);
    expect(alike(source, listed('7', { '1': 'mid:a', '2': 'mid:c', '3': 'mid:b' }), ['1', '2', '3'])).toBe(false);
  });
});
