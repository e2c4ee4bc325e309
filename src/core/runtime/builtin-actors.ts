/**
 * Actors the runtime itself provides, by key, loaded on use (the logger's
 * pretty printer is not worth loading in every worker). App keys never start
 * with 'imapfw:'.
 */
export const builtinActors: Record<string, () => Promise<new (options: never, context: never) => object>> = {
  'imapfw:logger': async () => (await import('../logging/logger-actor.js')).LoggerActor,
};
