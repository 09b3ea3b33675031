import type { Dispatcher } from 'undici';
import { Agent } from './undici-lite.js';

let shared: Agent | undefined;

/**
 * The process-wide undici dispatcher: one keep-alive connection pool per
 * origin, shared by every client in the process so sockets are reused
 * across callers instead of each client holding its own. Created on first
 * use, never at import.
 */
export function sharedDispatcher(): Dispatcher {
  shared ??= new Agent({
    // Below Node's default server keepAliveTimeout (5 s), so we drop idle sockets before the server does.
    keepAliveTimeout: 4_000,
    keepAliveMaxTimeout: 60_000,
    connections: 128,
  });
  return shared;
}

/** Closes the shared dispatcher (at process shutdown, or between tests); the next call creates a new one. */
export async function closeSharedDispatcher(): Promise<void> {
  const agent = shared;
  shared = undefined;
  await agent?.close();
}
