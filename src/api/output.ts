// What reaches a user: secrets redacted from every output, server text escaped before a terminal.
// On their own: a command line's output needs them without loading the whole API (start-up time).
export { registerSecret, withoutSecrets, REDACTED } from '../core/output/secrets.js';
export { printable } from '../core/output/printable.js';
export { forTerminal } from '../core/output/for-terminal.js';
export { registerKnownPasswords } from '../core/imap/password.js';
