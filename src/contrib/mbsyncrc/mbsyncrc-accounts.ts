/**
 * The accounts `imapfw sync --config ~/.mbsyncrc` syncs: one per mbsync
 * Channel between an IMAP store (its far side) and a Maildir store (its near
 * side), with the channel's Patterns, Sync, Create, Remove and Expunge and
 * the layout its Maildir store gives, so that a laptop switches from mbsync
 * with the file it has. A setting imapfw cannot honour in the same way is a
 * ConfigError naming its line and what to do; settings that change nothing
 * of what is synced (CopyArrivalDate, FSync, MaxSize...) are read as
 * imapfw's own behaviour (README: "Coming from mbsync").
 */
import { existsSync } from 'node:fs';
import { relative, sep } from 'node:path';
import { ConfigError } from '../../api/errors.js';
import { expandHome } from '../../api/expand-home.js';
import type { MaildirAppAccountEntry } from '../cli/maildir-app-options.js';
import { parseMbsyncrc, single, words, type MbsyncConfig, type MbsyncOption, type MbsyncSection } from './parse-mbsyncrc.js';

/** An account as the sync app's `--config` entries have it (its policies in mbsync's own words). */
export interface MbsyncChannelAccount extends MaildirAppAccountEntry {
  name: string;
  sync: string[];
  expunge: ChannelSides;
  create: ChannelSides;
  remove: ChannelSides;
}

/** mbsync's words for the sides a setting acts on. */
export type ChannelSides = 'none' | 'far' | 'near' | 'both';

/** Settings that would make imapfw sync something else than mbsync did: refused, with what to do. */
const REFUSED: Readonly<Record<string, string>> = {
  tunnel: 'imapfw connects to the server itself: give Host (and Port) instead of Tunnel',
  flatten: 'imapfw keeps the folder hierarchy: use SubFolders Verbatim or Maildir++ (and rename the flattened directories)',
  maxmessages: 'imapfw keeps every message: remove MaxMessages (and ExpireUnread)',
  expireunread: 'imapfw keeps every message: remove ExpireUnread (and MaxMessages)',
};

/** mbsync's old names for the sides (isync 1.3). */
const SIDE_WORDS: Readonly<Record<string, ChannelSides>> = { none: 'none', far: 'far', near: 'near', both: 'both', master: 'far', slave: 'near' };

/** The accounts of the mbsync configuration `text`, read from `file` (named in messages). */
export function mbsyncrcAccounts(file: string, text: string): MbsyncChannelAccount[] {
  return new MbsyncrcReader(file, parseMbsyncrc(text, file)).accounts();
}

/** True when `text` reads as an mbsync configuration (its first keyword is one of mbsync's sections or global options). */
export function looksLikeMbsyncrc(text: string): boolean {
  const first = text.split(/\r?\n/).map((line) => line.trim()).find((line) => line !== '' && !line.startsWith('#'));
  return first !== undefined && /^(IMAPAccount|IMAPStore|MaildirStore|Channel|Group|SyncState|Create|Remove|Expunge|Sync|FSync|CopyArrivalDate|Patterns)\s/i.test(first);
}

class MbsyncrcReader {
  constructor(
    private readonly file: string,
    private readonly config: MbsyncConfig,
  ) {}

  accounts(): MbsyncChannelAccount[] {
    const channels = this.config.sections.filter((section) => section.kind.toLowerCase() === 'channel');
    if (channels.length === 0) throw new ConfigError(`--config ${this.file}: no Channel: it is no mbsync configuration imapfw can sync`);
    return channels.map((channel) => this.account(channel));
  }

  private account(channel: MbsyncSection): MbsyncChannelAccount {
    this.refuse(channel);
    const where = `--config ${this.file}: Channel ${channel.name}`;
    const far = this.reference(channel, ['far', 'master'], where);
    const near = this.reference(channel, ['near', 'slave'], where);
    if (far.store.kind.toLowerCase() !== 'imapstore' || near.store.kind.toLowerCase() !== 'maildirstore') {
      const kinds = `${far.store.kind} to ${near.store.kind}`;
      throw new ConfigError(`${where} (line ${channel.line}): syncs ${kinds}; imapfw sync takes an IMAP store as Far and a Maildir store as Near (IMAP to IMAP is imapfw migrate)`);
    }
    if (far.box !== undefined && near.box !== undefined && far.box !== near.box) {
      throw new ConfigError(`${where} (line ${channel.line}): maps the server's "${far.box}" to "${near.box}" here; imapfw syncs a folder under one name on both sides`);
    }
    const box = far.box ?? near.box;
    const option = (key: string) => this.option(channel, key);
    const patterns = box !== undefined ? [box] : (option('patterns')?.flatMap((o) => words(o, this.file)) ?? []);
    const server = this.server(far.store, where);
    const maildir = this.maildir(near.store, where);
    const syncState = option('syncstate')?.at(-1);
    const state = syncState ? single(syncState, this.file) : '~/.mbsync/';
    const stateDir = expandHome(state);
    return {
      name: channel.name,
      ...server,
      ...maildir,
      ...(state !== '*' && existsSync(stateDir) ? { mbsyncState: stateDir } : {}),
      folders: patterns.filter((pattern) => !pattern.startsWith('!')).flatMap(globsOf),
      exclude: patterns.filter((pattern) => pattern.startsWith('!')).flatMap((pattern) => globsOf(pattern.slice(1))),
      sync: this.syncWords(option('sync')),
      expunge: this.sides(option('expunge'), where),
      create: this.sides(option('create'), where),
      remove: this.sides(option('remove'), where),
    };
  }

  /** The section's value of `key` (the last one given), unquoted. */
  private value(section: MbsyncSection, key: string): string | undefined {
    const option = section.options.get(key)?.at(-1);
    return option && single(option, this.file);
  }

  /** The channel's own option, else the global default (every value given, in order). */
  private option(channel: MbsyncSection, key: string): MbsyncOption[] | undefined {
    return channel.options.get(key) ?? this.config.global.get(key);
  }

  private refuse(section: MbsyncSection): void {
    for (const [key, options] of [...this.config.global, ...section.options]) {
      if (REFUSED[key]) throw new ConfigError(`--config ${this.file}:${options[0]!.line}: ${REFUSED[key]}`);
    }
  }

  /** `:store:` or `:store:box`. */
  private reference(channel: MbsyncSection, keys: string[], where: string): { store: MbsyncSection; box?: string } {
    const option = keys.map((key) => channel.options.get(key)?.at(-1)).find((o) => o !== undefined);
    if (!option) throw new ConfigError(`${where} (line ${channel.line}): no ${keys[0] === 'far' ? 'Far' : 'Near'} store`);
    const match = /^:([^:]+):(.*)$/.exec(single(option, this.file));
    if (!match) throw new ConfigError(`--config ${this.file}:${option.line}: a store reference is :STORE: or :STORE:BOX, not "${option.text}"`);
    const store = this.config.sections.find((section) => /^(imapstore|maildirstore)$/i.test(section.kind) && section.name === match[1]);
    if (!store) throw new ConfigError(`--config ${this.file}:${option.line}: no IMAPStore or MaildirStore named "${match[1]}"`);
    this.refuse(store);
    return { store, ...(match[2] ? { box: match[2] } : {}) };
  }

  /** The server's URL and password, from the store and the IMAPAccount it names (or its own account settings). */
  private server(store: MbsyncSection, where: string): Pick<MaildirAppAccountEntry, 'remote' | 'password' | 'allowPlaintext'> {
    const accountName = store.options.get('account')?.at(-1);
    const account = accountName ? this.config.sections.find((section) => section.kind.toLowerCase() === 'imapaccount' && section.name === single(accountName, this.file)) : store;
    if (!account) throw new ConfigError(`--config ${this.file}:${accountName!.line}: no IMAPAccount named "${accountName!.text}"`);
    this.refuse(account);
    const get = (key: string) => this.value(account, key);
    const path = store.options.get('path')?.at(-1);
    if (path) throw new ConfigError(`--config ${this.file}:${path.line}: the IMAP store's Path (a prefix on the server's folder names) has no imapfw equivalent: remove it, or sync those folders by their full names`);
    const host = get('host');
    const user = get('user');
    if (!host || !user) throw new ConfigError(`${where}: its IMAP account "${account.name}" needs Host and User`);
    const security = (get('ssltype') ?? get('tlstype') ?? 'STARTTLS').toLowerCase();
    if (!['none', 'starttls', 'imaps'].includes(security)) throw new ConfigError(`${where}: SSLType must be None, STARTTLS or IMAPS, not "${security}"`);
    const port = get('port');
    const remote = `${security === 'imaps' ? 'imaps' : 'imap'}://${encodeURIComponent(user)}@${host}${port ? `:${port}` : ''}`;
    const command = get('passcmd')?.replace(/^\+/, '');
    const oauth2 = (get('authmechs') ?? '').split(/\s+/).some((mech) => /^(XOAUTH2|OAUTHBEARER)$/i.test(mech));
    const pass = get('pass');
    const password = command !== undefined ? (oauth2 ? { oauth2Command: command } : { command }) : pass !== undefined ? { value: pass } : { prompt: true as const };
    return { remote, password, ...(security === 'none' ? { allowPlaintext: true } : {}) };
  }

  /** The Maildir and the layout that read the store as mbsync lays it out. */
  private maildir(store: MbsyncSection, where: string): Pick<MaildirAppAccountEntry, 'maildir' | 'layout' | 'inbox'> {
    const get = (key: string) => this.value(store, key);
    const subFolders = get('subfolders')?.toLowerCase();
    const inbox = expandHome(get('inbox') ?? '~/Maildir');
    const delimiter = get('infodelimiter');
    if (delimiter !== undefined && delimiter !== ':') throw new ConfigError(`${where}: its Maildir store's InfoDelimiter "${delimiter}": imapfw's file names use ":"`);
    if (subFolders === 'maildir++') return { maildir: inbox, layout: 'maildir++' };
    if (subFolders !== undefined && subFolders !== 'verbatim') {
      throw new ConfigError(`${where}: its Maildir store's SubFolders ${get('subfolders')}: imapfw reads Verbatim (--layout nested) and Maildir++ (the default layout)`);
    }
    const path = get('path');
    if (path !== undefined && !path.endsWith('/')) {
      throw new ConfigError(`${where}: its Maildir store's Path "${path}" has no trailing slash, so it prefixes the folders' names; imapfw names them as they are: end it with "/" (and rename the directories)`);
    }
    // Without a Path, mbsync keeps no folder but INBOX.
    const root = path === undefined ? inbox : expandHome(path);
    const inboxDir = relative(root, inbox);
    if (inboxDir === '') return { maildir: root, layout: 'nested' };
    if (inboxDir.startsWith('..') || inboxDir.includes(sep)) {
      throw new ConfigError(`${where}: its INBOX (${inbox}) is neither its Path (${root}) nor a directory right in it; imapfw keeps INBOX within the Maildir: move it there`);
    }
    return { maildir: root, layout: 'nested', inbox: inboxDir };
  }

  private syncWords(options: MbsyncOption[] | undefined): string[] {
    // ReNew (copy again the messages skipped as too big) means nothing here: imapfw skips no message for its size.
    const given = options?.flatMap((option) => words(option, this.file)).filter((word) => !/^(pull|push)?renew$/i.test(word)) ?? [];
    return given.length > 0 ? given : ['full'];
  }

  private sides(options: MbsyncOption[] | undefined, where: string): ChannelSides {
    const option = options?.at(-1);
    if (!option) return 'none';
    const word = SIDE_WORDS[single(option, this.file).toLowerCase()];
    if (!word) throw new ConfigError(`${where}: "${option.text}" (line ${option.line}) must be None, Far, Near or Both`);
    return word;
  }
}

/**
 * An mbsync pattern as imapfw's globs: `*` matches across levels and `%`
 * within one (picomatch's `**` and `*`); the other glob characters are
 * literal in mbsync.
 */
export function globsOf(pattern: string): string[] {
  const glob = pattern
    .split('/')
    .map((segment) => (segment === '*' ? '**' : segment.replace(/[?[\]{}()!+@\\]/g, '\\$&').replaceAll('%', '*')))
    .join('/');
  // A '*' within the last level also matches the levels below it (mbsync's "Lists*" takes "Lists/dev").
  const last = pattern.split('/').at(-1)!;
  return last !== '*' && last.includes('*') ? [glob, `${glob}/**`] : [glob];
}
