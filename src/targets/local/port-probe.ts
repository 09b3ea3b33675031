import { createServer } from 'node:net';

/**
 * Whether `port` can be listened on at `host` right now. The answer can go
 * stale a moment later; callers that need the port spawn promptly after.
 */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The first free port among `candidates`, probing at most `limit` of them. */
export async function firstFreePort(candidates: Iterable<number>, limit = 200): Promise<number | undefined> {
  let tried = 0;
  for (const port of candidates) {
    if (await isPortFree(port)) return port;
    if (++tried >= limit) return undefined;
  }
  return undefined;
}
