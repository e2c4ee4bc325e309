import type { Endpoint } from 'comlink';
import type { MessagePort } from 'node:worker_threads';

/**
 * comlink's node adapter, typed: comlink ships node-adapter.mjs without
 * declarations. It turns a Node MessagePort into the web Endpoint comlink speaks.
 */
type Handler = ((event: { data: unknown }) => void) | { handleEvent(event: { data: unknown }): void };

export function nodeEndpoint(port: MessagePort): Endpoint {
  const listeners = new WeakMap<object, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: unknown[]) => port.postMessage(message, transfer as never),
    addEventListener: (_type: string, handler: Handler) => {
      const listener = (data: unknown) => {
        const event = { data };
        if ('handleEvent' in handler) handler.handleEvent(event);
        else handler(event);
      };
      port.on('message', listener);
      listeners.set(handler, listener);
    },
    removeEventListener: (_type: string, handler: Handler) => {
      const listener = listeners.get(handler);
      if (listener) port.off('message', listener);
      listeners.delete(handler);
    },
    start: () => port.start(),
  } as Endpoint;
}
