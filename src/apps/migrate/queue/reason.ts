import type { AccountResult } from '../batch.js';
import { outcomeLine } from '../summary.js';

/** Why an account is not complete, in one line: its first error, else its outcome. */
export function failureReason(result: AccountResult): string {
  const error = result.summary.errors[0];
  return error ? `${error.code ? `[${error.code}] ` : ''}${error.message}` : outcomeLine(result.summary);
}
