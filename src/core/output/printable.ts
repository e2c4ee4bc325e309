/**
 * Text from a server (folder names, response texts) is data: before it
 * reaches a terminal, every character that could act on the terminal is
 * shown as an escape instead. Escaped: C0 controls (ESC, CR, BEL, NUL...)
 * and DEL, C1 controls (U+0080-U+009F: U+009B is a CSI on many terminals),
 * the bidirectional overrides and isolates (they reorder what is shown),
 * and lone surrogates. `\n` and `\t` are kept only when asked (a stack
 * trace); a name or a server text never gets to start a line of its own.
 */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]|\p{Cs}/gu;

export function printable(text: string, keep: { newlines?: boolean } = {}): string {
  return text.replace(UNSAFE, (char) => {
    if (keep.newlines && (char === '\n' || char === '\t')) return char;
    const code = char.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}
