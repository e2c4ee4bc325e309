// SELECT, EXAMINE (with CONDSTORE / QRESYNC parameters), CLOSE, UNSELECT.
import type { CommandContext } from '../script.js';
import { compactSet, inSequenceSet } from '../sequence.js';
import { textOf } from '../wire.js';
import { AUTHENTICATED, flagList, folderArg, SELECTED, type Handler } from './common.js';

async function select(ctx: CommandContext, readOnly: boolean): Promise<void> {
  const session = ctx.session;
  // A failed SELECT leaves no folder selected (RFC 3501 6.3.1).
  session.selected = undefined;
  session.state = 'authenticated';
  const folder = folderArg(ctx, ctx.args[0]);
  const params = ctx.args[1]?.type === 'list' ? ctx.args[1].items : [];
  let qresync: { uidValidity: number; modseq: bigint; known?: string } | undefined;
  params.forEach((param, i) => {
    const name = param.type === 'atom' ? param.value.toUpperCase() : '';
    if (name === 'CONDSTORE') session.enabled.add('CONDSTORE');
    const values = params[i + 1];
    if (name === 'QRESYNC' && values?.type === 'list') {
      if (!session.enabled.has('QRESYNC')) throw new Error('QRESYNC not enabled');
      const [validity, modseq, known] = values.items.map((t) => (t.type === 'list' ? '' : textOf(t)));
      qresync = { uidValidity: Number(validity), modseq: BigInt(modseq ?? '0'), ...(known ? { known } : {}) };
    }
  });
  const uids = folder.messages.map((m) => m.uid);
  await ctx.untagged('FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)');
  await ctx.untagged(`OK [PERMANENTFLAGS ${readOnly ? '()' : '(\\Answered \\Flagged \\Deleted \\Seen \\Draft \\*)'}] Flags permitted.`);
  await ctx.untagged(`${uids.length} EXISTS`);
  await ctx.untagged('0 RECENT');
  await ctx.untagged(`OK [UIDVALIDITY ${folder.uidValidity}] UIDs valid`);
  await ctx.untagged(`OK [UIDNEXT ${folder.uidNext}] Predicted next UID`);
  if (session.has('CONDSTORE')) await ctx.untagged(`OK [HIGHESTMODSEQ ${folder.highestModseq}] Highest`);
  if (qresync && qresync.uidValidity === folder.uidValidity) {
    const since = qresync.modseq;
    const inKnown = (uid: number): boolean => !qresync!.known || inSequenceSet(qresync!.known, uid, folder.uidNext - 1);
    const vanished = folder.expunged.filter((e) => e.modseq > since && inKnown(e.uid)).map((e) => e.uid);
    if (vanished.length) await ctx.untagged(`VANISHED (EARLIER) ${compactSet(vanished)}`);
    for (const [i, m] of folder.messages.entries()) {
      if (m.modseq > since) await ctx.fetchRow({ seq: i + 1, items: [{ name: 'UID', value: `${m.uid}` }, { name: 'FLAGS', value: flagList(m.flags) }, { name: 'MODSEQ', value: `(${m.modseq})` }] });
    }
  }
  session.selected = { folder, readOnly, uidValidity: folder.uidValidity, uids };
  session.state = 'selected';
  ctx.ok(`${ctx.name} completed`, readOnly ? 'READ-ONLY' : 'READ-WRITE');
}

function deselect(ctx: CommandContext): void {
  ctx.session.selected = undefined;
  ctx.session.state = 'authenticated';
}

export const selectHandlers: Record<string, Handler> = {
  SELECT: { states: AUTHENTICATED, run: (ctx) => select(ctx, false) },
  EXAMINE: { states: AUTHENTICATED, run: (ctx) => select(ctx, true) },
  CLOSE: {
    states: SELECTED,
    async run(ctx) {
      const view = ctx.session.selected!;
      // CLOSE expunges silently.
      if (!view.readOnly) ctx.account.expunge(view.folder.name, view.folder.messages.filter((m) => m.flags.has('\\Deleted')).map((m) => m.uid));
      deselect(ctx);
    },
  },
  UNSELECT: {
    states: SELECTED,
    async run(ctx) {
      if (!ctx.session.has('UNSELECT')) return ctx.bad('Unknown command UNSELECT');
      deselect(ctx);
    },
  },
};
