// Every command the server knows, by upper-case name.
import { appendHandlers } from './append.js';
import { authHandlers } from './auth.js';
import type { Handler } from './common.js';
import { connectionHandlers } from './connection.js';
import { copyMoveHandlers } from './copy-move.js';
import { expungeHandlers } from './expunge.js';
import { fetchHandlers } from './fetch.js';
import { mailboxHandlers } from './mailboxes.js';
import { searchHandlers } from './search.js';
import { selectHandlers } from './select.js';
import { storeHandlers } from './store.js';

export const handlers: Record<string, Handler> = {
  ...connectionHandlers,
  ...authHandlers,
  ...mailboxHandlers,
  ...selectHandlers,
  ...fetchHandlers,
  ...storeHandlers,
  ...searchHandlers,
  ...appendHandlers,
  ...expungeHandlers,
  ...copyMoveHandlers,
};
