import { LoggerActor } from '../logging/logger-actor.js';

/** Actors the runtime itself provides, by key. App keys never start with 'imapfw:'. */
export const builtinActors: Record<string, new (options: never, context: never) => object> = {
  'imapfw:logger': LoggerActor,
};
