import { ConfigError } from '../api/errors.js';
import { ExitCode } from '../api/exit-codes.js';
import { appCommand } from '../contrib/cli/command.js';
import { oauth2Login, oauth2Logout } from '../core/oauth2/login.js';
import type { ProviderName } from '../core/oauth2/providers.js';
import { expandHome } from '../api/expand-home.js';

interface LoginFlags {
  provider: string;
  user?: string;
  clientId?: string;
  clientSecret?: string;
  tenant?: string;
  issuer?: string;
  scope?: string;
  device?: boolean;
  browser: boolean;
  stateDir?: string;
}

/** `imapfw login`: gets a refresh token for an address and stores it in the state directory. */
export async function login(argv: string[]): Promise<number> {
  const command = appCommand('login', 'Sign in to a mail provider with OAuth2 and keep its refresh token for the apps (--oauth2 ADDRESS).')
    .requiredOption('--provider <name>', 'google, microsoft, or oidc (any OpenID provider, with --issuer)')
    .requiredOption('--user <address>', 'the mail address to sign in as')
    .option('--client-id <id>', 'your OAuth2 client id (an app registered with the provider; see the README)')
    .option('--client-secret <secret>', "the client secret, for providers that want one even for desktop apps (Google's \"Desktop app\" clients)")
    .option('--tenant <tenant>', 'microsoft: the directory (tenant id or domain; default common)')
    .option('--issuer <url>', 'oidc: the issuer URL')
    .option('--scope <scopes>', "the scopes to ask for (default: the provider's IMAP scope)")
    .option('--device', 'sign in on another device with a code (for a machine without a browser)')
    .option('--no-browser', 'do not try to open a browser; just print the address to open')
    .option('--state-dir <dir>', 'where the login is kept (default $XDG_STATE_HOME/imapfw)');
  command.parse(argv, { from: 'user' });
  const flags = command.opts<LoginFlags>();
  if (!['google', 'microsoft', 'oidc'].includes(flags.provider)) throw new ConfigError(`--provider must be google, microsoft or oidc, not "${flags.provider}"`);
  if (!flags.clientId) throw new ConfigError(`--client-id is required: register imapfw as an app with ${flags.provider} (see the README) and give its client id`);
  if (flags.provider === 'oidc' && !flags.issuer) throw new ConfigError('--provider oidc needs --issuer URL');
  const path = await oauth2Login({
    address: flags.user!,
    settings: {
      provider: flags.provider as ProviderName,
      clientId: flags.clientId,
      ...(flags.clientSecret ? { clientSecret: flags.clientSecret } : {}),
      ...(flags.tenant ? { tenant: flags.tenant } : {}),
      ...(flags.issuer ? { issuer: flags.issuer } : {}),
      ...(flags.scope ? { scope: flags.scope } : {}),
    },
    ...(flags.stateDir ? { stateDir: expandHome(flags.stateDir) } : {}),
    device: flags.device === true,
    openBrowser: flags.browser && process.stderr.isTTY === true,
    say: (text) => process.stderr.write(`${text}\n`),
  });
  process.stderr.write(`Signed in as ${flags.user}. The refresh token is kept in ${path} (readable by you only); use --oauth2 ${flags.user} with the apps.\n`);
  return ExitCode.OK;
}

/** `imapfw logout`: revokes (where the provider allows) and removes the stored login of an address. */
export async function logout(argv: string[]): Promise<number> {
  const command = appCommand('logout', 'Forget the OAuth2 login of an address (revoking its refresh token where the provider allows).')
    .requiredOption('--user <address>', 'the mail address')
    .option('--state-dir <dir>', 'where the login is kept (default $XDG_STATE_HOME/imapfw)');
  command.parse(argv, { from: 'user' });
  const flags = command.opts<{ user: string; stateDir?: string }>();
  const removed = await oauth2Logout(flags.user, flags.stateDir ? expandHome(flags.stateDir) : undefined);
  process.stderr.write(removed ? `Signed out ${flags.user}: its login is removed.\n` : `No login kept for ${flags.user}.\n`);
  return ExitCode.OK;
}
