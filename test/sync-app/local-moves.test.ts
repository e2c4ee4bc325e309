// local-moves.ts: which messages moved between folders (detectMoves, pure),
// and repeating the moves on the other side (followMoves) with real
// repositories: two Maildirs, one standing for the server (both sides'
// `move` are tested against Dovecot in sync.test.ts), and an in-memory state.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Remote } from '../../src/api/app.js';
import { detectMoves, followMoves, type MoveFolderView } from '../../src/api/engines/local-moves.js';
import type { FolderPairNames } from '../../src/api/engines/sync-folder.js';
import { MemoryStateStore } from '../../src/api/state/memory.js';
import type { MessagePair, StateStore } from '../../src/api/state/types.js';
import type { MessageMeta, Repository, Side } from '../../src/api/types.js';
import { makeMessage } from '../support/messages.js';
import { tempMaildir, type TempMaildir } from '../maildir/helpers.js';
import { folderAt } from '../support/folder-at.js';

const meta = (id: string, flags: string[] = []): MessageMeta => ({ id, flags, size: 100, internalDate: 0 });
const pair = (left: string, right: string, identity = `id-${right}`): MessagePair => ({ left, right, flags: [], identity });
const view = (name: string, saved: MessagePair[], current: MoveFolderView['current']): MoveFolderView => ({ left: name, right: name, folderPairId: name.charCodeAt(0), saved, current, uidValidity: { left: '1', right: '1' } });
const byRightId = (side: Side) => [(message: MessageMeta) => message.id, (saved: MessagePair) => saved[side]] as const;

describe('detectMoves', () => {
  it('a saved pair whose file left folder A and an unpaired file of that name in B is one move', () => {
    const a = view('A', [pair('1', 'x'), pair('2', 'y')], [meta('y')]);
    const b = view('B', [pair('7', 'z')], [meta('z'), meta('x', ['\\Seen'])]);
    const moves = detectMoves('right', [a, b], ...byRightId('right'));
    expect(moves).toEqual([{ side: 'right', from: a, to: b, pair: pair('1', 'x'), message: meta('x', ['\\Seen']) }]);
  });

  it('ambiguous cases are left to the folder syncs: a file in two folders, a file back in its own folder, a half pair', () => {
    const twice = [view('A', [pair('1', 'x')], []), view('B', [], [meta('x')]), view('C', [], [meta('x')])];
    expect(detectMoves('right', twice, ...byRightId('right'))).toEqual([]);
    const back = [view('A', [pair('1', 'x')], [meta('x')]), view('B', [], [])];
    expect(detectMoves('right', back, ...byRightId('right'))).toEqual([]);
    const half = [view('A', [{ right: 'x', flags: [] }], []), view('B', [], [meta('x')])];
    expect(detectMoves('right', half, ...byRightId('right'))).toEqual([]);
  });

  it('a folder that did not change is no source or target; a folder gone is a source of every pair it held', () => {
    const unchanged = [view('A', [pair('1', 'x')], 'unchanged'), view('B', [], [meta('x')])];
    expect(detectMoves('right', unchanged, ...byRightId('right'))).toEqual([]);
    const gone = view('A', [pair('1', 'x'), pair('2', 'y')], 'missing');
    const renamed = view('A2', [], [meta('x'), meta('y')]);
    expect(detectMoves('right', [gone, renamed], ...byRightId('right')).map((move) => [move.from.left, move.to.left, move.pair.left])).toEqual([
      ['A', 'A2', '1'],
      ['A', 'A2', '2'],
    ]);
  });
});

describe('followMoves with two Maildirs', () => {
  const temps: TempMaildir[] = [];
  afterEach(async () => {
    for (const temp of temps.splice(0)) await temp.cleanup();
  });

  /** Both sides hold the same messages in A and B, paired in the state as a sync leaves them. */
  async function synced(names: Record<string, number>) {
    const [left, right] = [await tempMaildir(), await tempMaildir()];
    temps.push(left, right);
    const state = new MemoryStateStore();
    const records = [];
    for (const [folder, count] of Object.entries(names)) {
      const bodies = Array.from({ length: count }, (_, i) => ({ body: makeMessage({ subject: `${folder} ${i}` }), flags: ['\\Seen'], internalDate: Date.UTC(2025, 0, 1) }));
      for (const temp of [left, right]) await temp.repo.createFolder(folder);
      const [leftIds, rightIds] = [await left.repo.store(folder, bodies), await right.repo.store(folder, bodies)];
      const identities = new Map((await right.repo.identify(await folderAt(right.repo, folder), rightIds)).map((m) => [m.id, m.identity]));
      const record = await state.ensureFolderPair(folder, folder);
      // As a sync leaves it: the pairs, under the UIDVALIDITY each side's ids are from.
      const uidValidity = async (temp: TempMaildir) => (await temp.repo.scan(folder)).status.uidValidity;
      await state.commit(record.id, {
        upsertPairs: leftIds.map((id, i) => ({ left: id, right: rightIds[i]!, flags: ['\\Seen'], identity: identities.get(rightIds[i]!)! })),
        checkpoints: { leftUidValidity: await uidValidity(left), rightUidValidity: await uidValidity(right) },
      });
      records.push((await state.folderPairs()).find((known) => known.id === record.id)!);
    }
    const repositories = { left: left.repo as unknown as Remote<Repository>, right: right.repo as unknown as Remote<Repository> };
    return { left, right, state, records, repositories, remoteState: state as unknown as Remote<StateStore> };
  }

  const ids = async (temp: TempMaildir, folder: string) => (await temp.repo.scan(folder)).messages.map((m) => m.id).sort();

  it('a file moved from A to B in the Maildir is moved on the other side, and the state pairs it in B', async () => {
    const s = await synced({ A: 3, B: 1 });
    const moved = (await s.state.pairs(s.records[0]!.id))[1]!;
    const file = (await s.right.repo.scan('A')).messages.find((m) => m.id === moved.right)!;
    const name = `${file.id}:2,S`;
    renameSync(join(s.right.root, '.A', 'cur', name), join(s.right.root, '.B', 'cur', name));

    const outcome = await followMoves({ sides: { right: true }, pairs: [{ left: 'A', right: 'A' }, { left: 'B', right: 'B' }], gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });
    expect(outcome).toMatchObject({ moved: 1, warnings: [] });
    expect(outcome.lines).toEqual([expect.stringMatching(new RegExp(`^move left A→B ${moved.left} \\(moved on right: ${file.id}\\)$`))]);
    expect(await ids(s.left, 'A')).not.toContain(moved.left);
    expect(await ids(s.left, 'B')).toHaveLength(2);
    const inB = (await s.state.pairs(s.records[1]!.id)).find((p) => p.right === file.id);
    expect(inB).toMatchObject({ identity: moved.identity, flags: ['\\Seen'] });
    expect(await ids(s.left, 'B')).toContain(inB!.left);
    expect((await s.state.pairs(s.records[0]!.id)).map((p) => p.right)).not.toContain(file.id);
  });

  it('a message moved from A to B on the left (the server) is moved on the right, also when B is outside a limited pass; not between two folders outside it', async () => {
    const s = await synced({ A: 3, B: 1, C: 1 });
    const [first, second] = await s.state.pairs(s.records[0]!.id);
    const moveLeft = (id: string, from: string, to: string) => renameSync(join(s.left.root, `.${from}`, 'cur', `${id}:2,S`), join(s.left.root, `.${to}`, 'cur', `${id}:2,S`));
    const [inC] = await s.state.pairs(s.records[2]!.id);
    moveLeft(first!.left!, 'A', 'B');
    moveLeft(inC!.left!, 'C', 'B');
    const pairs = { A: { left: 'A', right: 'A' }, B: { left: 'B', right: 'B' }, C: { left: 'C', right: 'C' } };
    const changed = [
      { pair: pairs.A, lost: true },
      { pair: pairs.B, lost: false },
      { pair: pairs.C, lost: true },
    ];
    const follow = (inPass: FolderPairNames[], nearby: FolderPairNames[]) =>
      followMoves({ sides: { left: true }, pairs: inPass, nearby, serverChanged: changed, gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });

    // A pass over A alone: A -> B is followed (B is nearby), C -> B is not (both ends outside the pass).
    const outcome = await follow([pairs.A], [pairs.B, pairs.C]);
    expect(outcome).toMatchObject({ moved: 1, warnings: [] });
    expect(await ids(s.right, 'A')).not.toContain(first!.right);
    expect(await ids(s.right, 'B')).toContain(first!.right);
    expect(await ids(s.right, 'C')).toContain(inC!.right);
    expect((await s.state.pairs(s.records[1]!.id)).find((p) => p.right === first!.right)).toMatchObject({ left: first!.left, identity: first!.identity });

    // Nothing lost on the left: nothing is looked for, nothing listed.
    moveLeft(second!.left!, 'A', 'B');
    const quiet = await followMoves({ sides: { left: true }, pairs: [pairs.A, pairs.B], serverChanged: [{ pair: pairs.A, lost: false }, { pair: pairs.B, lost: false }], gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });
    expect(quiet).toMatchObject({ moved: 0 });
    expect(quiet.listed.size).toBe(0);
  });

  it("the pair moved to B keeps the flags a side did not hold (so B's sync does not read them as removed there)", async () => {
    const s = await synced({ A: 2, B: 0 });
    const [moved] = await s.state.pairs(s.records[0]!.id);
    const notHeld = { ...moved!, flags: ['$spare', '\\Seen'], notHeld: { right: ['$spare'] } };
    await s.state.commit(s.records[0]!.id, { upsertPairs: [notHeld] });
    renameSync(join(s.right.root, '.A', 'cur', `${moved!.right}:2,S`), join(s.right.root, '.B', 'cur', `${moved!.right}:2,S`));

    const outcome = await followMoves({ sides: { right: true }, pairs: [{ left: 'A', right: 'A' }, { left: 'B', right: 'B' }], gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });
    expect(outcome.moved).toBe(1);
    const inB = (await s.state.pairs(s.records[1]!.id)).find((p) => p.right === moved!.right);
    expect(inB).toMatchObject({ flags: ['$spare', '\\Seen'], notHeld: { right: ['$spare'] } });
  });

  it('a folder no move involves goes to its sync listed, with its saved pairs; a folder a move involves is listed again there', async () => {
    const s = await synced({ A: 2, B: 0, C: 2 });
    const moved = (await s.state.pairs(s.records[0]!.id))[0]!;
    renameSync(join(s.right.root, '.A', 'cur', `${moved.right}:2,S`), join(s.right.root, '.B', 'cur', `${moved.right}:2,S`));
    const pairs = ['A', 'B', 'C'].map((name) => ({ left: name, right: name }));

    const outcome = await followMoves({ sides: { right: true }, pairs, gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });
    expect(outcome.moved).toBe(1);
    expect([...outcome.listed.keys()]).toEqual(['C\u0000C']);
    const listed = outcome.listed.get('C\u0000C')!;
    expect(Object.keys(listed.scans)).toEqual(['right']);
    expect(listed.scans.right).toMatchObject({ scan: { kind: 'full' } });
    expect(listed.scans.right!.since).toBeUndefined();
    expect(listed.scans.right!.scan.messages.map((m) => m.id).sort()).toEqual(await ids(s.right, 'C'));
    expect(listed.saved).toEqual(await s.state.pairs(s.records[2]!.id));
  });

  it('a pass over A alone follows a move from A to B, a synced folder outside the pass; not a move between two such folders', async () => {
    const s = await synced({ A: 2, B: 1, C: 1 });
    const [toB] = await s.state.pairs(s.records[0]!.id);
    const [toC] = await s.state.pairs(s.records[1]!.id);
    renameSync(join(s.right.root, '.A', 'cur', `${toB!.right}:2,S`), join(s.right.root, '.B', 'cur', `${toB!.right}:2,S`));
    renameSync(join(s.right.root, '.B', 'cur', `${toC!.right}:2,S`), join(s.right.root, '.C', 'cur', `${toC!.right}:2,S`));

    const outcome = await followMoves({
      sides: { right: true },
      pairs: [{ left: 'A', right: 'A' }],
      nearby: [{ left: 'B', right: 'B' }, { left: 'C', right: 'C' }],
      gone: [],
      records: s.records,
      repositories: s.repositories,
      state: s.remoteState,
      dryRun: false,
    });
    expect(outcome).toMatchObject({ moved: 1, warnings: [] });
    expect(outcome.lines).toEqual([expect.stringMatching(new RegExp(`^move left A→B ${toB!.left} `))]);
    expect(await ids(s.left, 'A')).not.toContain(toB!.left);
    expect((await s.state.pairs(s.records[1]!.id)).map((p) => p.right)).toContain(toB!.right);
    // B -> C is left to the pass over them: C on the other side and the pairs of B and C keep it where it was.
    expect(await ids(s.left, 'C')).toHaveLength(1);
    expect((await s.state.pairs(s.records[1]!.id)).map((p) => p.right)).toContain(toC!.right);
    // Only A is synced by this pass: nothing nearby goes to a folder sync as listed.
    expect([...outcome.listed.keys()]).toEqual([]);
  });

  it('a pass whose folders did not change in the Maildir does not look at the nearby folders', async () => {
    const s = await synced({ A: 1, B: 1 });
    const scanned: string[] = [];
    const right = new Proxy(s.right.repo, {
      get: (target, key, receiver) => (key === 'scan' ? (folder: string, ...rest: unknown[]) => (scanned.push(folder), target.scan(folder, ...(rest as []))) : Reflect.get(target, key, receiver)),
    });
    // As a sync leaves it: a checkpoint (after the policy it was saved under) that says A did not change.
    const scan = await s.right.repo.scan('A', undefined, { afterWrites: true });
    await s.state.commit(s.records[0]!.id, { checkpoints: { rightCheckpoint: `policy ${scan.checkpoint}` } });
    const records = await s.state.folderPairs();

    const outcome = await followMoves({
      sides: { right: true },
      pairs: [{ left: 'A', right: 'A' }],
      nearby: [{ left: 'B', right: 'B' }],
      gone: [],
      records,
      repositories: { ...s.repositories, right: right as unknown as Remote<Repository> },
      state: s.remoteState,
      dryRun: false,
    });
    expect(outcome.moved).toBe(0);
    expect(scanned).toEqual(['A']);
  });

  it('a dry run moves nothing and names what the folder syncs must leave out', async () => {
    const s = await synced({ A: 2, B: 0 });
    const moved = (await s.state.pairs(s.records[0]!.id))[0]!;
    renameSync(join(s.right.root, '.A', 'cur', `${moved.right}:2,S`), join(s.right.root, '.B', 'cur', `${moved.right}:2,S`));
    const before = { A: await ids(s.left, 'A'), B: await ids(s.left, 'B') };

    const outcome = await followMoves({ sides: { right: true }, pairs: [{ left: 'A', right: 'A' }, { left: 'B', right: 'B' }], gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: true });
    expect(outcome.moved).toBe(1);
    expect({ A: await ids(s.left, 'A'), B: await ids(s.left, 'B') }).toEqual(before);
    expect(await s.state.pairs(s.records[0]!.id)).toContainEqual(moved);
    expect(Object.fromEntries(outcome.skip)).toEqual({ 'A\u0000A': { left: [moved.left] }, 'B\u0000B': { right: [moved.right] } });
  });

  it('a move whose message on the other side is gone is given up (the folder syncs copy it instead), nothing moved', async () => {
    const s = await synced({ A: 2, B: 0 });
    const moved = (await s.state.pairs(s.records[0]!.id))[0]!;
    renameSync(join(s.right.root, '.A', 'cur', `${moved.right}:2,S`), join(s.right.root, '.B', 'cur', `${moved.right}:2,S`));
    await s.left.repo.delete(await folderAt(s.left.repo, 'A'), [moved.left!]);

    const outcome = await followMoves({ sides: { right: true }, pairs: [{ left: 'A', right: 'A' }, { left: 'B', right: 'B' }], gone: [], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });
    expect(outcome.moved).toBe(0);
    expect(await ids(s.left, 'B')).toEqual([]);
    expect(await s.state.pairs(s.records[0]!.id)).toContainEqual(moved);
  });

  it('a folder renamed on the other side (left) is followed by moving its messages into the new folder here', async () => {
    const s = await synced({ Old: 3 });
    const saved = await s.state.pairs(s.records[0]!.id);
    // The left side renames Old to New: the messages arrive with the same bytes (here even the same names).
    await s.left.repo.createFolder('New');
    await s.left.repo.move(await folderAt(s.left.repo, 'Old'), 'New', saved.map((p) => p.left!));
    await s.left.repo.deleteFolder('Old');
    await s.right.repo.createFolder('New');

    const outcome = await followMoves({ sides: { left: true }, pairs: [{ left: 'New', right: 'New' }], gone: [{ name: 'Old', missing: 'left' }], records: s.records, repositories: s.repositories, state: s.remoteState, dryRun: false });
    expect(outcome).toMatchObject({ moved: 3, warnings: [] });
    expect(await ids(s.right, 'Old')).toEqual([]);
    expect(await ids(s.right, 'New')).toHaveLength(3);
    const record = (await s.state.folderPairs()).find((r) => r.left === 'New')!;
    expect((await s.state.pairs(record.id)).map((p) => p.identity).sort()).toEqual(saved.map((p) => p.identity).sort());
  });
});
