// LIST, LSUB, STATUS, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE.
import type { Folder } from '../account.js';
import type { CommandContext } from '../script.js';
import { astring, textOf, type Token } from '../wire.js';
import { AUTHENTICATED, folderArg, mailboxName, Refusal, type Handler } from './common.js';

function patternToRegExp(pattern: string, delimiter: string | null): RegExp {
  const body = [...pattern]
    .map((c) => (c === '*' ? '.*' : c === '%' ? (delimiter ? `[^${delimiter.replace(/[\]\\^-]/g, '\\$&')}]*` : '.*') : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`, 's');
}

function matches(folder: Folder, pattern: RegExp): boolean {
  return pattern.test(folder.name) || (folder.name === 'INBOX' && new RegExp(pattern.source, 'is').test('INBOX'));
}

function hasChildren(ctx: CommandContext, folder: Folder): boolean {
  const delimiter = ctx.session.server.delimiter;
  if (!delimiter) return false;
  return [...ctx.account.folders.keys()].some((name) => name.startsWith(folder.name + delimiter));
}

async function listFolders(ctx: CommandContext, command: 'LIST' | 'LSUB'): Promise<void> {
  const args = [...ctx.args];
  const session = ctx.session;
  const delimiter = session.server.delimiter;
  const first = args[0];
  const selection = first?.type === 'list' ? first.items.map((t) => textOf(t).toUpperCase()) : [];
  if (first?.type === 'list') args.shift();
  const reference = textOf(args.shift());
  const patternToken = args.shift();
  const patterns = patternToken?.type === 'list' ? patternToken.items.map((t) => textOf(t)) : [textOf(patternToken)];
  let returns: string[] = [];
  let statusItems: Token[] = [];
  if (args[0]?.type === 'atom' && args[0].value.toUpperCase() === 'RETURN') {
    const list = args[1]?.type === 'list' ? args[1].items : [];
    list.forEach((t, i) => {
      if (t.type === 'atom' && t.value.toUpperCase() === 'STATUS' && list[i + 1]?.type === 'list') statusItems = (list[i + 1] as { items: Token[] }).items;
      if (t.type === 'atom') returns.push(t.value.toUpperCase());
    });
  }
  const extended = selection.length > 0 || returns.length > 0;
  if (extended && !session.has('LIST-EXTENDED')) return ctx.bad('LIST-EXTENDED not supported');
  const delimiterText = delimiter === null ? 'NIL' : JSON.stringify(delimiter);
  if (patterns.length === 1 && patterns[0] === '') {
    await ctx.untagged(`${command} (\\Noselect) ${delimiterText} ""`);
    return;
  }
  const onlySubscribed = command === 'LSUB' || selection.includes('SUBSCRIBED');
  const regexps = patterns.map((p) => patternToRegExp(reference + p, delimiter));
  for (const folder of ctx.account.folders.values()) {
    if (!regexps.some((r) => matches(folder, r))) continue;
    if (onlySubscribed && !folder.subscribed) continue;
    const attributes: string[] = [];
    if (session.has('CHILDREN') || session.has('LIST-EXTENDED')) attributes.push(hasChildren(ctx, folder) ? '\\HasChildren' : '\\HasNoChildren');
    if (folder.specialUse && session.has('SPECIAL-USE') && (!returns.length || returns.includes('SPECIAL-USE'))) attributes.push(folder.specialUse);
    if (folder.subscribed && (returns.includes('SUBSCRIBED') || selection.includes('SUBSCRIBED'))) attributes.push('\\Subscribed');
    await ctx.untagged(Buffer.concat([Buffer.from(`${command} (${attributes.join(' ')}) ${delimiterText} `), astring(folder.name)]));
    if (statusItems.length) await sendStatus(ctx, folder, statusItems);
  }
}

async function sendStatus(ctx: CommandContext, folder: Folder, items: Token[]): Promise<void> {
  const values: string[] = [];
  for (const item of items) {
    const name = textOf(item).toUpperCase();
    const value = {
      MESSAGES: folder.messages.length,
      RECENT: 0,
      UIDNEXT: folder.uidNext,
      UIDVALIDITY: folder.uidValidity,
      UNSEEN: folder.messages.filter((m) => !m.flags.has('\\Seen')).length,
      HIGHESTMODSEQ: ctx.session.has('CONDSTORE') ? folder.highestModseq : undefined,
      SIZE: folder.messages.reduce((sum, m) => sum + m.body.length, 0),
    }[name];
    if (value !== undefined) values.push(`${name} ${value}`);
  }
  await ctx.untagged(Buffer.concat([Buffer.from('STATUS '), astring(folder.name), Buffer.from(` (${values.join(' ')})`)]));
}

export const mailboxHandlers: Record<string, Handler> = {
  LIST: { states: AUTHENTICATED, run: (ctx) => listFolders(ctx, 'LIST') },
  LSUB: { states: AUTHENTICATED, run: (ctx) => listFolders(ctx, 'LSUB') },
  STATUS: {
    states: AUTHENTICATED,
    async run(ctx) {
      const folder = folderArg(ctx, ctx.args[0]);
      const items = ctx.args[1]?.type === 'list' ? ctx.args[1].items : [];
      await sendStatus(ctx, folder, items);
    },
  },
  CREATE: {
    states: AUTHENTICATED,
    async run(ctx) {
      const name = mailboxName(ctx, ctx.args[0]);
      if (ctx.account.find(name)) throw new Refusal('Mailbox already exists', 'ALREADYEXISTS');
      if (!name) throw new Refusal('Invalid mailbox name', 'CANNOT');
      ctx.account.createFolder(name);
    },
  },
  DELETE: {
    states: AUTHENTICATED,
    async run(ctx) {
      const folder = folderArg(ctx, ctx.args[0]);
      if (folder.name === 'INBOX') throw new Refusal('INBOX can not be deleted', 'CANNOT');
      if (ctx.session.selected?.folder === folder) {
        ctx.session.selected = undefined;
        ctx.session.state = 'authenticated';
      }
      ctx.account.deleteFolder(folder.name);
    },
  },
  RENAME: {
    states: AUTHENTICATED,
    async run(ctx) {
      const from = folderArg(ctx, ctx.args[0]);
      const to = mailboxName(ctx, ctx.args[1]);
      if (ctx.account.find(to)) throw new Refusal('Target mailbox already exists', 'ALREADYEXISTS');
      const delimiter = ctx.session.server.delimiter;
      if (from.name === 'INBOX') {
        // RFC 3501: renaming INBOX moves its messages and leaves it empty.
        const target = ctx.account.createFolder(to);
        for (const m of from.messages) ctx.account.addMessage(target.name, { body: m.body, flags: [...m.flags], internalDate: m.internalDate });
        ctx.account.expunge('INBOX', from.messages.map((m) => m.uid));
        return;
      }
      for (const folder of [...ctx.account.folders.values()]) {
        const child = delimiter !== null && folder.name.startsWith(from.name + delimiter);
        if (folder !== from && !child) continue;
        ctx.account.folders.delete(folder.name);
        folder.name = to + folder.name.slice(from.name.length);
        ctx.account.folders.set(folder.name, folder);
      }
    },
  },
  SUBSCRIBE: {
    states: AUTHENTICATED,
    async run(ctx) {
      folderArg(ctx, ctx.args[0]).subscribed = true;
    },
  },
  UNSUBSCRIBE: {
    states: AUTHENTICATED,
    async run(ctx) {
      const folder = ctx.account.find(mailboxName(ctx, ctx.args[0]));
      if (folder) folder.subscribed = false;
    },
  },
};
