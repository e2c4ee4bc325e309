import type { ControlOp, ControlRequest, RequestId } from '../../api/watch/control-protocol.js';

const OPS: readonly ControlOp[] = ['status', 'sync', 'pause', 'resume', 'stop'];

/** A line that is not a valid request: the reply names what is wrong, with the request's id when it had a usable one. */
export class BadRequest extends Error {
  readonly code = 'EBADREQUEST';
  constructor(
    readonly id: RequestId,
    message: string,
  ) {
    super(message);
  }
}

/** Parses and checks one request line. Throws BadRequest. */
export function parseRequest(line: string): ControlRequest {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new BadRequest(null, 'not JSON: each line must be one JSON object, e.g. {"id":1,"op":"status"}');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BadRequest(null, 'a request must be a JSON object, e.g. {"id":1,"op":"status"}');
  const fields = value as Record<string, unknown>;
  const id = fields.id === undefined ? null : fields.id;
  if (id !== null && typeof id !== 'string' && typeof id !== 'number') throw new BadRequest(null, '"id" must be a string or a number');
  const op = fields.op;
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    throw new BadRequest(id, `unknown op ${JSON.stringify(op)}: expected one of ${OPS.join(', ')}`);
  }
  if (op !== 'sync') return { id, op: op as Exclude<ControlOp, 'sync'> };
  for (const key of ['accounts', 'folders'] as const) {
    const list = fields[key];
    if (list !== undefined && !(Array.isArray(list) && list.every((item) => typeof item === 'string'))) throw new BadRequest(id, `"${key}" must be a list of strings`);
  }
  if (fields.app !== undefined && typeof fields.app !== 'string') throw new BadRequest(id, '"app" must be a string');
  return {
    id,
    op,
    ...(fields.app === undefined ? {} : { app: fields.app as string }),
    ...(fields.accounts === undefined ? {} : { accounts: fields.accounts as string[] }),
    ...(fields.folders === undefined ? {} : { folders: fields.folders as string[] }),
  };
}
