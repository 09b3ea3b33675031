import { createRequire } from 'node:module';
import type { Agent as AgentClass, Dispatcher } from 'undici';

/**
 * undici, loaded the first time a client is made or used rather than when
 * the runtime is imported: its index also loads fetch, WebSocket,
 * EventSource, the mock agents and the cache stores (about 6 MB resident),
 * which a service that calls no other service never needs. Synchronous,
 * through `require`, so `sharedDispatcher()` keeps its signature.
 */
const require = createRequire(import.meta.url);
let undici: typeof import('undici') | undefined;

function load(): typeof import('undici') {
  return (undici ??= require('undici') as typeof import('undici'));
}

export type Agent = AgentClass;

export function createAgent(options: AgentClass.Options): AgentClass {
  return new (load().Agent)(options);
}

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'> & { readonly dispatcher: Dispatcher };

/** undici's `request(url, options)` for an absolute URL and an explicit dispatcher. */
export function request(url: string, options: RequestOptions): Promise<Dispatcher.ResponseData> {
  return load().request(url, { ...options, method: options.method ?? (options.body ? 'PUT' : 'GET') });
}
