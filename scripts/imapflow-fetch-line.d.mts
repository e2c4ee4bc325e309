/** See imapflow-fetch-line.mjs: imapflow's parse tree of a plain untagged FETCH line, or undefined. */
export function readFetchLine(line: unknown, literals?: unknown): { tag: '*'; command: string; attributes: unknown[] } | undefined;
