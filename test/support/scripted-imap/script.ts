// What a test scripts: rules that wrap a command's handling (middleware),
// matched by command name and counted server-wide.
import type { Account } from './account.js';
import type { Session } from './session.js';
import type { Token } from './wire.js';

export interface Reply {
  status: 'OK' | 'NO' | 'BAD';
  /** A response code without brackets, e.g. 'APPENDUID 7 12' or 'TOOBIG'. */
  code?: string;
  text: string;
}

/** One item of a FETCH row: `name` as sent ('UID', 'BODY[]'), `value` already in wire form ('12', '(\\Seen)', a literal). */
export interface FetchItem {
  name: string;
  value: string | Buffer;
}

export interface FetchRow {
  seq: number;
  items: FetchItem[];
  /** Sent instead of the items when set (after "* "): a row as broken as a test wants. */
  raw?: Buffer;
}

export type UntaggedMapper = (data: Buffer) => Buffer | Buffer[] | null;
export type FetchMapper = (row: FetchRow, ctx: CommandContext) => FetchRow | FetchRow[] | null;

/**
 * One command being handled (or 'CONNECT' for the greeting). Hooks read
 * `name`/`args`, may change `args` before `next()`, `reply` after it, add
 * mappers for the responses `next()` produces, or answer themselves without
 * calling `next()` at all.
 */
export class CommandContext {
  /** The tagged reply; handlers and hooks set it, the session sends it after the chain. */
  reply: Reply;
  private untaggedMappers: UntaggedMapper[] = [];
  private fetchMappers: FetchMapper[] = [];

  constructor(
    readonly session: Session,
    /** Upper-case command name, UID commands with their prefix: 'UID FETCH', 'APPEND', 'CONNECT'. */
    readonly name: string,
    readonly tag: string,
    public args: Token[],
    /** The command as text (literals as `{n}` markers), tag included. */
    readonly text: string,
  ) {
    this.reply = { status: 'OK', text: `${name} completed` };
  }

  get account(): Account {
    return this.session.server.account;
  }

  /** Did a hook drop or stall the connection? Then nothing more is sent. */
  get silenced(): boolean {
    return this.session.output.state !== 'open';
  }

  ok(text = `${this.name} completed`, code?: string): void {
    this.reply = { status: 'OK', text, ...(code ? { code } : {}) };
  }

  no(text: string, code?: string): void {
    this.reply = { status: 'NO', text, ...(code ? { code } : {}) };
  }

  bad(text: string, code?: string): void {
    this.reply = { status: 'BAD', text, ...(code ? { code } : {}) };
  }

  /** Closes the connection now: no reply, no goodbye. */
  drop(): void {
    this.session.output.drop();
  }

  /** Stops talking for good (the socket stays open until the client or stop() closes it). */
  stall(): void {
    this.session.output.stall();
  }

  /** Untagged responses produced after this call go through `fn` (null drops one, an array replaces it). */
  mapUntagged(fn: UntaggedMapper): void {
    this.untaggedMappers.push(fn);
  }

  /** FETCH rows produced after this call go through `fn` before they become bytes. */
  mapFetch(fn: FetchMapper): void {
    this.fetchMappers.push(fn);
  }

  /** Sends an untagged response; `data` without the leading "* " and the final CRLF. */
  async untagged(data: string | Buffer): Promise<void> {
    const line = Buffer.concat([Buffer.from('* '), typeof data === 'string' ? Buffer.from(data, 'utf8') : data, Buffer.from('\r\n')]);
    let out: Buffer[] = [line];
    for (const mapper of this.untaggedMappers) {
      out = out.flatMap((buffer) => {
        const mapped = mapper(buffer);
        return mapped === null ? [] : Array.isArray(mapped) ? mapped : [mapped];
      });
    }
    for (const buffer of out) await this.session.output.write(buffer);
  }

  async fetchRow(row: FetchRow): Promise<void> {
    let rows: FetchRow[] = [row];
    for (const mapper of this.fetchMappers) {
      rows = rows.flatMap((r) => {
        const mapped = mapper(r, this);
        return mapped === null ? [] : Array.isArray(mapped) ? mapped : [mapped];
      });
    }
    for (const r of rows) await this.untagged(serializeFetchRow(r));
  }
}

export function serializeFetchRow(row: FetchRow): Buffer {
  if (row.raw) return row.raw;
  const parts: Buffer[] = [Buffer.from(`${row.seq} FETCH (`)];
  row.items.forEach((item, i) => {
    parts.push(Buffer.from(`${i ? ' ' : ''}${item.name} `));
    parts.push(typeof item.value === 'string' ? Buffer.from(item.value, 'utf8') : item.value);
  });
  parts.push(Buffer.from(')'));
  return Buffer.concat(parts);
}

export type Hook = (ctx: CommandContext, next: () => Promise<void>) => void | Promise<void>;

export interface RuleOptions {
  /** Fire only on the nth matching command (1-based), counted over all connections. */
  nth?: number;
  /** Fire from the nth matching command on. */
  from?: number;
  /** Fire at most this many times. */
  times?: number;
  /** An extra condition (e.g. on the selected folder or the arguments). */
  when?: (ctx: CommandContext) => boolean;
}

export interface Rule extends RuleOptions {
  command: string | RegExp;
  hook: Hook;
  /** Matching commands seen so far. */
  seen: number;
  /** Times the hook ran. */
  fired: number;
}

/** An oversized literal is refused before it is read (synchronizing) or after (LITERAL+). */
export interface LiteralLimit {
  bytes: number;
  /** Default: 'NO [TOOBIG]'. */
  answer?: 'NO [TOOBIG]' | 'NO' | 'BAD';
  text?: string;
}

export class Script {
  readonly rules: Rule[] = [];
  literalLimit?: LiteralLimit;

  /**
   * Wraps every command named `command` ('UID FETCH', 'APPEND', 'CONNECT'
   * for the greeting, '*' for all; or a RegExp on the name) with `hook`.
   */
  on(command: string | RegExp, hook: Hook, options: RuleOptions = {}): Rule {
    const rule: Rule = { command, hook, ...options, seen: 0, fired: 0 };
    this.rules.push(rule);
    return rule;
  }

  off(rule: Rule): void {
    const i = this.rules.indexOf(rule);
    if (i >= 0) this.rules.splice(i, 1);
  }

  /** Makes the server well again. */
  clear(): void {
    this.rules.length = 0;
    delete this.literalLimit;
  }

  /** The hooks to run for this command, counting it against each rule. */
  hooksFor(ctx: CommandContext): Hook[] {
    const hooks: Hook[] = [];
    for (const rule of [...this.rules]) {
      const named = typeof rule.command === 'string' ? rule.command === '*' || rule.command.toUpperCase() === ctx.name : rule.command.test(ctx.name);
      if (!named || (rule.when && !rule.when(ctx))) continue;
      rule.seen += 1;
      if (rule.nth !== undefined && rule.seen !== rule.nth) continue;
      if (rule.from !== undefined && rule.seen < rule.from) continue;
      if (rule.times !== undefined && rule.fired >= rule.times) continue;
      rule.fired += 1;
      hooks.push(rule.hook);
    }
    return hooks;
  }
}

/** Runs `hooks` around `handler`, each hook deciding whether and when to call the next. */
export async function runChain(ctx: CommandContext, hooks: Hook[], handler: () => Promise<void>): Promise<void> {
  const step = async (i: number): Promise<void> => {
    if (ctx.silenced) return;
    if (i === hooks.length) return handler();
    await hooks[i]!(ctx, () => step(i + 1));
  };
  await step(0);
}
