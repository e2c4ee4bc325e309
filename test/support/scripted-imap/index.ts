// The scripted misbehaving IMAP server: see README.md.
export { Account, type Folder, type SeedFolder, type SeedMessage, type StoredMessage } from './account.js';
export { CommandContext, Script, type FetchItem, type FetchRow, type Hook, type Reply, type Rule, type RuleOptions } from './script.js';
export { DEFAULT_CAPABILITIES, ScriptedImapServer, startScriptedImap, withoutCapabilities, type LoggedCommand, type ScriptedImapOptions } from './server.js';
