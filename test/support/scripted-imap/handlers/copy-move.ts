// COPY and MOVE (by sequence number or UID), COPYUID with UIDPLUS.
import type { CommandContext } from '../script.js';
import { compactSet } from '../sequence.js';
import { textOf } from '../wire.js';
import { folderArg, messagesIn, SELECTED, type Handler } from './common.js';

/** Copies the messages in the set; returns the COPYUID code (or undefined without UIDPLUS or messages). */
function copy(ctx: CommandContext, byUid: boolean): { code?: string; uids: number[] } {
  const set = textOf(ctx.args[0]);
  const target = folderArg(ctx, ctx.args[1], 'TRYCREATE');
  const source = messagesIn(ctx, set, byUid).map((n) => n.message);
  const copied = source.map((m) => ctx.account.addMessage(target.name, { body: m.body, flags: [...m.flags], internalDate: m.internalDate }).uid);
  const uids = source.map((m) => m.uid);
  const code = ctx.session.has('UIDPLUS') && uids.length ? `COPYUID ${target.uidValidity} ${compactSet(uids)} ${compactSet(copied)}` : undefined;
  return { uids, ...(code ? { code } : {}) };
}

async function move(ctx: CommandContext, byUid: boolean): Promise<void> {
  if (!ctx.session.has('MOVE')) return ctx.bad(`Unknown command ${ctx.name}`);
  const view = ctx.session.selected!;
  const { code, uids } = copy(ctx, byUid);
  if (code) await ctx.untagged(`OK [${code}] Moved UIDs.`);
  ctx.account.expunge(view.folder.name, uids);
}

export const copyMoveHandlers: Record<string, Handler> = {
  COPY: {
    states: SELECTED,
    async run(ctx) {
      ctx.ok('Copy completed.', copy(ctx, false).code);
    },
  },
  'UID COPY': {
    states: SELECTED,
    async run(ctx) {
      ctx.ok('Copy completed.', copy(ctx, true).code);
    },
  },
  MOVE: { states: SELECTED, run: (ctx) => move(ctx, false) },
  'UID MOVE': { states: SELECTED, run: (ctx) => move(ctx, true) },
};
