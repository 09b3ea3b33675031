import { createRequire } from 'node:module';
import type { Agent as AgentClass, Dispatcher } from 'undici';

/**
 * undici's Agent and `request`, loaded from their own modules: undici's
 * index also loads fetch, WebSocket, EventSource, the mock agents and the
 * cache stores, about 4 MB of heap (8 MB resident) that a service calling
 * other services never uses. Same classes, same module instances.
 */
const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof AgentClass;
export type Agent = AgentClass;

const apiRequest = require('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  options: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { readonly dispatcher: Dispatcher };

/** undici's `request(url, options)` for an absolute URL and an explicit dispatcher. */
export function request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  const parsed = new URL(url);
  const { dispatcher, ...rest } = options;
  return apiRequest.call(dispatcher, {
    ...rest,
    origin: parsed.origin,
    path: parsed.search ? `${parsed.pathname}${parsed.search}` : parsed.pathname,
    method: rest.method ?? (rest.body ? 'PUT' : 'GET'),
  });
}
