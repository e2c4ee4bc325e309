// Sections of bench/results.md that a scenario writes on its own (the daemon,
// the queue): each replaces its own section in place and keeps the rest, and
// a rewrite of the mirror scenarios' report puts them back.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');

/** Writes `body` under `heading` (a line of its own) in `file`: replaces that section (up to the next `## `) or appends it. */
export function writeSection(file: string, heading: string, body: string): void {
  const text = read(file);
  const section = `${heading}\n\n${body.trim()}\n`;
  const start = text.indexOf(`${heading}\n`);
  if (start < 0) {
    writeFileSync(file, `${text.trimEnd()}${text ? '\n\n' : ''}${section}`);
    return;
  }
  const next = text.indexOf('\n## ', start + heading.length);
  writeFileSync(file, `${text.slice(0, start)}${section}${next < 0 ? '' : text.slice(next)}`);
}

/** The bodies of these sections in `file` now, to write back with writeSection once the file is rewritten. */
export function sectionBodies(file: string, headings: string[]): { heading: string; body: string }[] {
  const text = read(file);
  return headings.flatMap((heading) => {
    const start = text.indexOf(`${heading}\n`);
    if (start < 0) return [];
    const next = text.indexOf('\n## ', start + heading.length);
    return [{ heading, body: text.slice(start + heading.length + 1, next < 0 ? undefined : next) }];
  });
}
