// APPEND (APPENDUID with UIDPLUS), and MULTIAPPEND (RFC 3502) when the session offers it.
import { parseInternalDate, textOf } from '../wire.js';
import { AUTHENTICATED, flagsArg, folderArg, type Handler } from './common.js';

export const appendHandlers: Record<string, Handler> = {
  APPEND: {
    states: AUTHENTICATED,
    async run(ctx) {
      const args = [...ctx.args];
      const folder = folderArg(ctx, args.shift(), 'TRYCREATE');
      const multi = ctx.session.has('MULTIAPPEND');
      const messages: { body: Buffer; flags: string[]; internalDate: Date }[] = [];
      // One message, or with MULTIAPPEND several: [flags] [date] literal each.
      do {
        const flags = args[0]?.type === 'list' ? flagsArg(args.shift()) : [];
        let internalDate = new Date();
        if (args.length > 1 && !(args[0]?.type === 'string' && args[0].literal)) {
          const parsed = parseInternalDate(textOf(args.shift()));
          if (!parsed) return ctx.bad('Invalid date-time');
          internalDate = parsed;
        }
        const body = args.shift();
        if (body?.type !== 'string') return ctx.bad('APPEND without a message');
        messages.push({ body: body.value, flags, internalDate });
      } while (multi && args.length > 0);
      if (args.length > 0) return ctx.bad('APPEND of one message only');
      // All or nothing (RFC 3502): every message was parsed before any is stored.
      const uids = messages.map((message) => ctx.account.addMessage(folder.name, message).uid);
      ctx.ok('Append completed.', ctx.session.has('UIDPLUS') ? `APPENDUID ${folder.uidValidity} ${uidSet(uids)}` : undefined);
    },
  },
};

/** UIDs as a uid-set, runs written as ranges ('4:6,9'). */
function uidSet(uids: number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < uids.length; i++) {
    let j = i;
    while (j + 1 < uids.length && uids[j + 1] === uids[j]! + 1) j++;
    parts.push(j > i ? `${uids[i]}:${uids[j]}` : String(uids[i]));
    i = j;
  }
  return parts.join(',');
}
