/**
 * The control socket's protocol: JSON lines. A client writes one request
 * object per line; the daemon answers each with one reply line carrying the
 * request's `id`, in the order the requests end (a `sync` may end after a
 * later `status`). A line that is not a request gets an `ok: false` reply
 * (id null when it had none) and the connection goes on.
 */
import type { PassSummary, WatchStatus } from './types.js';

export type RequestId = string | number | null;

export type ControlRequest =
  | { id?: RequestId; op: 'status' }
  /**
   * Runs a pass now on every account the daemon serves (only `folders`, canonical names, when given).
   * `app` and `accounts`: what the caller would run itself; a daemon running another app, or not
   * serving one of those accounts, refuses (ENOTSERVED) rather than run a pass the caller did not mean.
   */
  | { id?: RequestId; op: 'sync'; app?: string; accounts?: string[]; folders?: string[] }
  | { id?: RequestId; op: 'pause' }
  | { id?: RequestId; op: 'resume' }
  /** Answered once the daemon has stopped. */
  | { id?: RequestId; op: 'stop' };

export type ControlOp = ControlRequest['op'];

/** What `status` answers: the daemon's status and where its socket is. */
export interface ControlStatus extends WatchStatus {
  socket: string;
}

/** The result of each request. */
export interface ControlResults {
  status: ControlStatus;
  sync: PassSummary;
  pause: { paused: true };
  resume: { paused: false };
  stop: { stopped: true };
}

export type ControlReply =
  | { id: RequestId; ok: true; result: ControlResults[ControlOp] }
  | { id: RequestId; ok: false; error: { code: string; message: string } };

/** The longest request line a daemon reads; a longer one is refused and its connection closed. */
export const MAX_REQUEST_BYTES = 64 * 1024;
