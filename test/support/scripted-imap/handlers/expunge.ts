// EXPUNGE and UID EXPUNGE; the session reports what went (EXPUNGE or VANISHED).
import type { CommandContext } from '../script.js';
import { textOf } from '../wire.js';
import { messagesIn, Refusal, SELECTED, type Handler } from './common.js';

function expunge(ctx: CommandContext, set?: string): void {
  const view = ctx.session.selected!;
  if (view.readOnly) throw new Refusal('Mailbox is read-only', 'READ-ONLY');
  const candidates = set === undefined ? view.folder.messages : messagesIn(ctx, set, true).map((n) => n.message);
  ctx.account.expunge(view.folder.name, candidates.filter((m) => m.flags.has('\\Deleted')).map((m) => m.uid));
}

export const expungeHandlers: Record<string, Handler> = {
  EXPUNGE: { states: SELECTED, run: async (ctx) => expunge(ctx) },
  'UID EXPUNGE': {
    states: SELECTED,
    async run(ctx) {
      if (!ctx.session.has('UIDPLUS')) return ctx.bad('Unknown command UID EXPUNGE');
      expunge(ctx, textOf(ctx.args[0]));
    },
  },
};
