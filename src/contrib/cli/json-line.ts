import { withoutSecrets } from '../../api/output.js';

/** One JSON object on a line (`--json`, a results file), without any secret; JSON itself escapes control characters. */
export function jsonLine(value: unknown): string {
  return `${withoutSecrets(JSON.stringify(value))}\n`;
}
