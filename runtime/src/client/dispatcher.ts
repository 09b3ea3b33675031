import type { Dispatcher } from 'undici';
import { createAgent, type Agent } from './undici-on-demand.js';

let shared: Agent | undefined;

/**
 * The process-wide undici dispatcher: one keep-alive connection pool per
 * origin, shared by every client in the process so sockets are reused
 * across callers instead of each client holding its own. Created on first
 * use, never at import.
 */
export function sharedDispatcher(): Dispatcher {
  shared ??= createAgent({
    // Below Node's default server keepAliveTimeout (5 s), so we drop idle sockets before the server does.
    keepAliveTimeout: 4_000,
    // As the gateway's pools: an instance that does not accept within this is gone, and the call goes to another.
    connect: { timeout: 3_000 },
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
