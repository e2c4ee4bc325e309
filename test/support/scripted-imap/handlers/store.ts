// STORE and UID STORE: FLAGS, +FLAGS, -FLAGS (.SILENT), UNCHANGEDSINCE.
import type { CommandContext } from '../script.js';
import { compactSet } from '../sequence.js';
import { textOf } from '../wire.js';
import { flagList, flagsArg, messagesIn, Refusal, SELECTED, type Handler } from './common.js';

async function store(ctx: CommandContext, byUid: boolean): Promise<void> {
  const session = ctx.session;
  const view = session.selected!;
  if (view.readOnly) throw new Refusal('Mailbox is read-only', 'READ-ONLY');
  const args = [...ctx.args];
  const set = textOf(args.shift());
  let unchangedSince: bigint | undefined;
  const first = args[0];
  if (first?.type === 'list') {
    args.shift();
    const modifiers = first.items.map((t) => textOf(t));
    const at = modifiers.findIndex((m) => m.toUpperCase() === 'UNCHANGEDSINCE');
    if (at >= 0) unchangedSince = BigInt(modifiers[at + 1]!);
    session.enabled.add('CONDSTORE');
  }
  const operation = textOf(args.shift()).toUpperCase();
  const m = /^([+-]?)FLAGS(\.SILENT)?$/.exec(operation);
  if (!m) return ctx.bad(`Unknown STORE operation ${operation}`);
  const flags = flagsArg(args.length > 1 ? { type: 'list', items: args } : args[0]);
  const modified: number[] = [];
  for (const { seq, message } of messagesIn(ctx, set, byUid)) {
    if (unchangedSince !== undefined && message.modseq > unchangedSince) {
      modified.push(byUid ? message.uid : seq);
      continue;
    }
    const next = m[1] === '+' ? new Set([...message.flags, ...flags]) : m[1] === '-' ? new Set([...message.flags].filter((f) => !flags.includes(f))) : new Set(flags);
    const changed = next.size !== message.flags.size || [...next].some((f) => !message.flags.has(f));
    if (changed) ctx.account.setFlags(view.folder.name, message, next);
    if (m[2]) continue;
    await ctx.fetchRow({
      seq,
      items: [
        ...(byUid ? [{ name: 'UID', value: `${message.uid}` }] : []),
        { name: 'FLAGS', value: flagList(message.flags) },
        ...(session.condstore ? [{ name: 'MODSEQ', value: `(${message.modseq})` }] : []),
      ],
    });
  }
  if (modified.length) ctx.ok('Conditional STORE failed', `MODIFIED ${compactSet(modified)}`);
}

export const storeHandlers: Record<string, Handler> = {
  STORE: { states: SELECTED, run: (ctx) => store(ctx, false), noExpungeReports: true },
  'UID STORE': { states: SELECTED, run: (ctx) => store(ctx, true) },
};
