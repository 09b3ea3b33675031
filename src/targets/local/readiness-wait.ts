import { request } from 'node:http';

/** Why an instance did not become ready. */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  constructor(
    readonly instance: string,
    readonly reason: 'timeout' | 'exited' | 'cancelled',
    message: string,
  ) {
    super(message);
  }
}

/** One GET of `url`; true when it answers 200 within `timeoutMs`. */
export function probeReady(url: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(`${url}/ready`, { method: 'GET', timeout: timeoutMs, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/**
 * Polls `<url>/ready` until it answers 200. Rejects with a NotReadyError
 * when `timeoutMs` passes or `signal` aborts (the supervisor aborts when the
 * process exits, so a crash at start-up is reported at once, not after the
 * timeout). The poll starts fast and slows down, since most services are
 * ready within a few hundred milliseconds.
 */
export async function waitForReady(instance: string, url: string, timeoutMs: number, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let interval = 50;
  while (true) {
    if (signal.aborted) throw new NotReadyError(instance, signal.reason === 'exited' ? 'exited' : 'cancelled', `${instance} ${signal.reason === 'exited' ? 'exited before it was ready' : 'start was cancelled'}`);
    if (await probeReady(url, Math.min(1000, Math.max(50, deadline - Date.now())))) return;
    if (Date.now() >= deadline) throw new NotReadyError(instance, 'timeout', `${instance} did not answer ${url}/ready with 200 within ${Math.round(timeoutMs / 1000)}s`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, interval);
      function done() {
        signal.removeEventListener('abort', done);
        clearTimeout(timer);
        resolve();
      }
      signal.addEventListener('abort', done, { once: true });
    });
    interval = Math.min(250, Math.round(interval * 1.5));
  }
}
