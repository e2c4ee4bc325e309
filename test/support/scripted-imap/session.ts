// One client connection: reads commands, runs each through the script's
// hooks and its handler, keeps the selected folder's view (sequence numbers).
import type { Socket } from 'node:net';
import type { Folder } from './account.js';
import { Refusal } from './handlers/common.js';
import { handlers } from './handlers/index.js';
import { Output } from './output.js';
import { CommandContext, runChain } from './script.js';
import type { ScriptedImapServer } from './server.js';
import { CommandReader, tokenize, type RawCommand } from './wire.js';
import { compactSet } from './sequence.js';

export interface SelectedView {
  folder: Folder;
  readOnly: boolean;
  uidValidity: number;
  /** UIDs in sequence order, as this session knows them. */
  uids: number[];
}

export class Session {
  state: 'not-authenticated' | 'authenticated' | 'selected' | 'logout' = 'not-authenticated';
  user?: string;
  selected?: SelectedView;
  /** Extensions turned on by ENABLE (or by CONDSTORE use). */
  readonly enabled = new Set<string>();
  readonly output: Output;
  readonly reader = new CommandReader();

  constructor(
    readonly server: ScriptedImapServer,
    readonly socket: Socket,
  ) {
    this.output = new Output(socket);
    socket.on('data', (chunk: Buffer) => this.reader.feed(chunk));
    socket.on('end', () => this.reader.end());
    socket.on('close', () => this.reader.end());
    socket.on('error', () => this.reader.end());
  }

  has(capability: string): boolean {
    return this.server.capabilities.some((c) => c.toUpperCase() === capability.toUpperCase());
  }

  /** Is CONDSTORE in force for this session (MODSEQ in FETCH responses)? */
  get condstore(): boolean {
    return this.enabled.has('CONDSTORE') || this.enabled.has('QRESYNC');
  }

  async run(): Promise<void> {
    await this.handle({ tag: '*', text: '', segments: [] }, 'CONNECT');
    while (this.output.state === 'open' && this.state !== 'logout') {
      const command = await this.reader.readCommand((tag, size, sync) => this.gateLiteral(tag, size, sync));
      if (!command || this.output.state !== 'open') break;
      if (command.refused) {
        if (!this.refusalSent) await this.refuseLiteral(command.tag);
        this.refusalSent = false;
        continue;
      }
      await this.handle(command);
    }
    if (this.output.state === 'open' && this.state === 'logout') this.socket.end();
  }

  /** Set when a synchronizing literal was refused on the spot (its command then ends unanswered). */
  private refusalSent = false;

  private async gateLiteral(tag: string, size: number, sync: boolean): Promise<'accept' | 'refused'> {
    const limit = this.server.script.literalLimit;
    if (limit && size > limit.bytes) {
      if (sync) {
        await this.refuseLiteral(tag);
        this.refusalSent = true;
      }
      return 'refused';
    }
    if (sync) await this.output.write(Buffer.from('+ OK\r\n'));
    return 'accept';
  }

  private async refuseLiteral(tag: string): Promise<void> {
    const limit = this.server.script.literalLimit!;
    const answer = limit.answer ?? 'NO [TOOBIG]';
    await this.output.write(Buffer.from(`${tag} ${answer} ${limit.text ?? 'Literal too large'}\r\n`));
  }

  private async handle(command: RawCommand, pseudo?: string): Promise<void> {
    let args;
    let name = pseudo;
    try {
      args = pseudo ? [] : tokenize(command);
      if (!name) {
        const first = args.shift();
        if (!first || first.type !== 'atom') throw new Error('no command');
        name = first.value.toUpperCase();
        if (name === 'UID') {
          const second = args.shift();
          if (!second || second.type !== 'atom') throw new Error('UID without command');
          name = `UID ${second.value.toUpperCase()}`;
        }
      }
    } catch (error) {
      await this.output.write(Buffer.from(`${command.tag || '*'} BAD ${(error as Error).message}\r\n`));
      return;
    }
    this.server.log.push({ name, text: command.text, user: this.user, folder: this.selected?.folder.name });
    const ctx = new CommandContext(this, name, command.tag, args, command.text);
    const handler = handlers[name];
    await runChain(ctx, this.server.script.hooksFor(ctx), async () => {
      if (!handler) return ctx.bad(`Unknown command ${name}`);
      if (!handler.states.includes(this.state)) return ctx.bad(`${name} not allowed now`);
      if (this.selected && this.selected.uidValidity !== this.selected.folder.uidValidity) {
        // The folder was renumbered under this session: a server can only hang up.
        await ctx.untagged('BYE UIDVALIDITY changed, reconnect');
        return ctx.drop();
      }
      try {
        await handler.run(ctx);
      } catch (error) {
        if (error instanceof Refusal) ctx.no(error.message, error.code);
        else ctx.bad(`Error in IMAP command ${name}: ${(error as Error).message}`);
      }
    });
    if (ctx.silenced || pseudo) return;
    if (this.selected && !handlers[name]?.noExpungeReports) await this.reportChanges(ctx);
    const { status, code, text } = ctx.reply;
    await this.output.write(Buffer.from(`${ctx.tag} ${status} ${code ? `[${code}] ` : ''}${text}\r\n`, 'utf8'));
  }

  /** Tells the client what changed in the selected folder since it last looked: expunges, then new messages. */
  async reportChanges(ctx: CommandContext): Promise<void> {
    const view = this.selected;
    if (!view || view.uidValidity !== view.folder.uidValidity) return;
    const current = new Set(view.folder.messages.map((m) => m.uid));
    const gone = view.uids.filter((uid) => !current.has(uid));
    if (gone.length && this.enabled.has('QRESYNC')) {
      await ctx.untagged(`VANISHED ${compactSet(gone)}`);
      view.uids = view.uids.filter((uid) => current.has(uid));
    } else {
      for (let i = view.uids.length - 1; i >= 0; i -= 1) {
        if (current.has(view.uids[i]!)) continue;
        view.uids.splice(i, 1);
        await ctx.untagged(`${i + 1} EXPUNGE`);
      }
    }
    const known = new Set(view.uids);
    const added = view.folder.messages.filter((m) => !known.has(m.uid)).map((m) => m.uid);
    if (added.length) {
      view.uids.push(...added);
      await ctx.untagged(`${view.uids.length} EXISTS`);
    }
  }
}
