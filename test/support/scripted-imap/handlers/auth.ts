// LOGIN and AUTHENTICATE PLAIN against the server's user list.
import type { CommandContext } from '../script.js';
import { textOf } from '../wire.js';
import { capabilityLine, type Handler } from './common.js';

function login(ctx: CommandContext, user: string, password: string): void {
  const expected = ctx.session.server.users[user];
  if (expected === undefined || expected !== password) return ctx.no('Authentication failed.', 'AUTHENTICATIONFAILED');
  ctx.session.user = user;
  ctx.session.state = 'authenticated';
  ctx.ok('Logged in', `CAPABILITY ${capabilityLine(ctx.session)}`);
}

export const authHandlers: Record<string, Handler> = {
  LOGIN: {
    states: ['not-authenticated'],
    async run(ctx) {
      login(ctx, textOf(ctx.args[0]), textOf(ctx.args[1]));
    },
  },
  AUTHENTICATE: {
    states: ['not-authenticated'],
    async run(ctx) {
      const mechanism = textOf(ctx.args[0]).toUpperCase();
      if (!ctx.session.server.authMechanisms.includes(mechanism)) return ctx.no(`Unsupported authentication mechanism ${mechanism}`);
      let initial = ctx.args[1] ? textOf(ctx.args[1]) : undefined;
      if (initial === undefined) {
        await ctx.session.output.write(Buffer.from('+ \r\n'));
        initial = (await ctx.session.reader.readLine()) ?? '*';
      }
      if (initial === '*') return ctx.bad('Authentication aborted');
      const [, user = '', password = ''] = Buffer.from(initial, 'base64').toString('utf8').split('\0');
      login(ctx, user, password);
    },
  },
};
