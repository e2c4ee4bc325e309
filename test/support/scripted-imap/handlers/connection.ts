// The greeting and the commands about the connection itself.
import type { CommandContext } from '../script.js';
import { ANY, AUTHENTICATED, capabilityLine, type Handler } from './common.js';

export const connectionHandlers: Record<string, Handler> = {
  CONNECT: {
    states: ANY,
    async run(ctx) {
      await ctx.untagged(`OK [CAPABILITY ${capabilityLine(ctx.session)}] scripted-imap ready.`);
    },
  },
  CAPABILITY: {
    states: ANY,
    async run(ctx) {
      await ctx.untagged(`CAPABILITY ${capabilityLine(ctx.session)}`);
    },
  },
  NOOP: { states: ANY, run: async () => {} },
  CHECK: { states: ['selected'], run: async () => {} },
  LOGOUT: {
    states: ANY,
    async run(ctx) {
      await ctx.untagged('BYE Logging out');
      ctx.session.state = 'logout';
    },
  },
  ID: {
    states: ANY,
    async run(ctx) {
      await ctx.untagged('ID ("name" "scripted-imap" "version" "1")');
    },
  },
  ENABLE: {
    states: AUTHENTICATED,
    async run(ctx) {
      const session = ctx.session;
      const enabled: string[] = [];
      for (const arg of ctx.args) {
        const name = arg.type === 'atom' ? arg.value.toUpperCase() : '';
        if (!['CONDSTORE', 'QRESYNC'].includes(name) || !session.has(name)) continue;
        session.enabled.add(name);
        enabled.push(name);
        if (name === 'QRESYNC') session.enabled.add('CONDSTORE');
      }
      await ctx.untagged(`ENABLED${enabled.map((e) => ` ${e}`).join('')}`);
    },
  },
  NAMESPACE: {
    states: AUTHENTICATED,
    async run(ctx) {
      const delimiter = ctx.session.server.delimiter;
      await ctx.untagged(`NAMESPACE (("" ${delimiter === null ? 'NIL' : JSON.stringify(delimiter)})) NIL NIL`);
    },
  },
  IDLE: {
    states: AUTHENTICATED,
    async run(ctx: CommandContext) {
      await ctx.session.output.write(Buffer.from('+ idling\r\n'));
      for (;;) {
        const line = await ctx.session.reader.readLine();
        if (line === null) return ctx.drop();
        if (line.toUpperCase() === 'DONE') return;
      }
    },
  },
  STARTTLS: {
    states: ['not-authenticated'],
    async run(ctx) {
      ctx.bad('STARTTLS not offered');
    },
  },
};
