// APPEND (APPENDUID with UIDPLUS).
import { parseInternalDate, textOf } from '../wire.js';
import { AUTHENTICATED, flagsArg, folderArg, type Handler } from './common.js';

export const appendHandlers: Record<string, Handler> = {
  APPEND: {
    states: AUTHENTICATED,
    async run(ctx) {
      const args = [...ctx.args];
      const folder = folderArg(ctx, args.shift(), 'TRYCREATE');
      const flags = args[0]?.type === 'list' ? flagsArg(args.shift()) : [];
      let internalDate = new Date();
      if (args.length > 1) {
        const parsed = parseInternalDate(textOf(args.shift()));
        if (!parsed) return ctx.bad('Invalid date-time');
        internalDate = parsed;
      }
      const body = args.shift();
      if (body?.type !== 'string') return ctx.bad('APPEND without a message');
      const stored = ctx.account.addMessage(folder.name, { body: body.value, flags, internalDate });
      ctx.ok('Append completed.', ctx.session.has('UIDPLUS') ? `APPENDUID ${folder.uidValidity} ${stored.uid}` : undefined);
    },
  },
};
