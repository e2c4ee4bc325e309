/**
 * mbsync's configuration file (`~/.mbsyncrc`), read as mbsync reads it: one
 * `Keyword value` per line, `#` comments, values optionally in double quotes
 * (with `\` escapes). A section starts at a section keyword (IMAPAccount,
 * IMAPStore, MaildirStore, Channel, Group) and ends at an empty line or the
 * next section; lines outside every section are global (defaults for the
 * channels, the global SyncState).
 */
import { ConfigError } from '../../api/errors.js';

export interface MbsyncOption {
  /** What follows the keyword, as written: read it with `single` or `words`. */
  text: string;
  /** 1-based, for messages. */
  line: number;
}

export interface MbsyncSection {
  /** The section keyword as written ('IMAPAccount', 'Channel'...). */
  kind: string;
  name: string;
  line: number;
  /** By lower-case keyword; a keyword given twice keeps its values in order (Patterns may be split over lines). */
  options: Map<string, MbsyncOption[]>;
}

export interface MbsyncConfig {
  global: Map<string, MbsyncOption[]>;
  sections: MbsyncSection[];
}

const SECTION_KINDS = new Set(['imapaccount', 'imapstore', 'maildirstore', 'channel', 'group']);

export function parseMbsyncrc(text: string, file: string): MbsyncConfig {
  const config: MbsyncConfig = { global: new Map(), sections: [] };
  let section: MbsyncSection | undefined;
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const content = raw.trim();
    if (content === '') return void (section = undefined);
    if (content.startsWith('#')) return;
    const match = /^(\S+)\s*(.*)$/.exec(content)!;
    const keyword = match[1]!.toLowerCase();
    const text = match[2]!;
    if (SECTION_KINDS.has(keyword)) {
      section = { kind: match[1]!, name: single({ text, line }, file), line, options: new Map() };
      config.sections.push(section);
      return;
    }
    const options = section?.options ?? config.global;
    options.set(keyword, [...(options.get(keyword) ?? []), { text, line }]);
  });
  return config;
}

/** The option's words, each a double-quoted string (its `\` escapes undone) or a run of non-blanks. */
export function words(option: MbsyncOption, file: string): string[] {
  const result: string[] = [];
  const { text, line } = option;
  for (let at = 0; at < text.length; ) {
    if (/\s/.test(text[at]!)) {
      at++;
      continue;
    }
    let word = '';
    if (text[at] === '"') {
      for (at++; ; at++) {
        if (at >= text.length) throw new ConfigError(`${file}:${line}: a quote that is not closed`);
        if (text[at] === '\\' && at + 1 < text.length) word += text[++at];
        else if (text[at] === '"') break;
        else word += text[at];
      }
      at++;
    } else {
      for (; at < text.length && !/\s/.test(text[at]!); at++) word += text[at];
    }
    result.push(word);
  }
  return result;
}

/** The option's one value: a quoted string or the text as it stands (a command line, a path with blanks). */
export function single(option: MbsyncOption, file: string): string {
  if (!option.text.startsWith('"')) return option.text;
  const [value, ...rest] = words(option, file);
  if (rest.length > 0) throw new ConfigError(`${file}:${option.line}: text after the closing quote`);
  return value!;
}
