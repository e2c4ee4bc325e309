import { printable } from './printable.js';
import { withoutSecrets } from './secrets.js';

/** A text as a person's terminal gets it (summaries, messages, progress bars): no secret, no control character. */
export function forTerminal(text: string): string {
  return printable(withoutSecrets(text));
}
