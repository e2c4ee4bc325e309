import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/api/errors.js';
import { migratePolicy, mirrorPolicy, parseSyncPolicy, twoWayPolicy, writesTo, type SyncPolicy } from '../../src/core/sync/index.js';

const ALL = ['flags', 'gone', 'new'];

function shape(policy: SyncPolicy) {
  return { toRight: [...policy.toRight].sort(), toLeft: [...policy.toLeft].sort(), expunge: policy.expunge };
}

describe('parseSyncPolicy', () => {
  const noExpunge = { left: false, right: false };
  it.each([
    [['full'], ALL, ALL],
    [['ALL'], ALL, ALL],
    [['none'], [], []],
    [['noop'], [], []],
    [['pull'], ALL, []],
    [['push'], [], ALL],
    [['pull', 'push'], ALL, ALL],
    [['new'], ['new'], ['new']],
    [['new,flags'], ['flags', 'new'], ['flags', 'new']],
    [['pull', 'new'], ['new'], []],
    [['pull,new'], ['new'], []],
    [['Pull New Gone'], ['gone', 'new'], []],
    [['push', 'flags'], [], ['flags']],
    [['delete'], ['gone'], ['gone']],
    [['pull-new'], ['new'], []],
    [['pullnew', 'pushflags'], ['new'], ['flags']],
    [['push', 'pull-new'], ['new'], ALL],
    [['new', 'pull-flags'], ['flags', 'new'], ['new']],
    [['pull', 'new', 'new'], ['new'], []],
  ])('%j', (words, toRight, toLeft) => {
    expect(shape(parseSyncPolicy(words))).toEqual({ toRight, toLeft, expunge: noExpunge });
  });

  it.each([
    ['none', { left: false, right: false }],
    ['left', { left: true, right: false }],
    ['far', { left: true, right: false }],
    ['right', { left: false, right: true }],
    ['Near', { left: false, right: true }],
    ['both', { left: true, right: true }],
  ])('expunge %s', (word, expunge) => {
    expect(parseSyncPolicy(['full'], word).expunge).toEqual(expunge);
  });

  it.each([
    [[], /no sync operation given/],
    [[' , '], /no sync operation given/],
    [['pul'], /unknown sync operation "pul"/],
    [['renew'], /unknown sync operation "renew"/],
    [['pull-push'], /unknown sync operation "pull-push"/],
    [['full', 'new'], /"full" cannot be combined/],
    [['none,pull'], /"none" cannot be combined/],
  ])('rejects %j', (words, message) => {
    expect(() => parseSyncPolicy(words)).toThrow(ConfigError);
    expect(() => parseSyncPolicy(words)).toThrow(message);
  });

  it('rejects an unknown expunge value', () => {
    expect(() => parseSyncPolicy(['full'], 'all')).toThrow(ConfigError);
    expect(() => parseSyncPolicy(['full'], 'all')).toThrow(/unknown expunge value "all"/);
  });
});

describe('shipped policies', () => {
  it('mirror pulls everything and never writes to the left', () => {
    expect(shape(mirrorPolicy())).toEqual({ toRight: ALL, toLeft: [], expunge: { left: false, right: false } });
    expect(writesTo(mirrorPolicy(), 'left')).toBe(false);
    expect(writesTo(mirrorPolicy(), 'right')).toBe(true);
  });

  it('sync is full both ways', () => {
    expect(shape(twoWayPolicy())).toEqual({ toRight: ALL, toLeft: ALL, expunge: { left: false, right: false } });
  });

  it('migrate copies new messages and flags to the right, and no deletion', () => {
    expect(shape(migratePolicy())).toEqual({ toRight: ['flags', 'new'], toLeft: [], expunge: { left: false, right: false } });
    expect(writesTo(migratePolicy(), 'left')).toBe(false);
  });

  it('expunging a side writes to it', () => {
    expect(writesTo(parseSyncPolicy(['pull'], 'left'), 'left')).toBe(true);
    expect(writesTo(parseSyncPolicy(['none'], 'none'), 'right')).toBe(false);
  });
});
