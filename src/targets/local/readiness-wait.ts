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
 * Wakes a sleeping readiness poll early: the instance said it listens, or it
 * was let through its start gate. A nudge with nobody sleeping is kept for
 * the next sleep, so one that lands between two probes is not lost.
 */
export class ReadinessNudge {
  #wake: (() => void) | undefined;
  #pending = false;

  nudge(): void {
    if (this.#wake) this.#wake();
    else this.#pending = true;
  }

  /** Sleeps `ms`, or until nudged or `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    if (this.#pending || signal.aborted) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      this.#wake = done;
    });
  }
}

export interface ReadyWaitOptions {
  readonly timeoutMs: number;
  /** Aborted when the process exits (reason `exited`), so a crash at start-up is reported at once, not after the timeout. */
  readonly signal: AbortSignal;
  /**
   * When the timeout started counting, ms since epoch; undefined while the
   * instance waits at its start gate for the services it calls (their own
   * timeouts bound that wait), so it is neither probed nor timed then.
   * Default: from the call.
   */
  readonly countingSince?: () => number | undefined;
  /** Wakes the poll between probes (the instance's `msx:listening`, its release from the gate). */
  readonly nudge?: ReadinessNudge;
}

/** Longest pause between two probes of a starting instance, ms: the instance's own `msx:listening` usually ends the wait sooner. */
const MAX_POLL_INTERVAL_MS = 100;

/**
 * Polls `<url>/ready` until it answers 200. Rejects with a NotReadyError
 * when the timeout passes or `signal` aborts. The poll starts fast and slows
 * down to 100 ms; a nudge probes at once.
 */
export async function waitForReady(instance: string, url: string, options: ReadyWaitOptions): Promise<void> {
  const { timeoutMs, signal } = options;
  const calledAt = Date.now();
  const countingSince = options.countingSince ?? (() => calledAt);
  const nudge = options.nudge ?? new ReadinessNudge();
  let interval = 20;
  while (true) {
    if (signal.aborted) throw new NotReadyError(instance, signal.reason === 'exited' ? 'exited' : 'cancelled', `${instance} ${signal.reason === 'exited' ? 'exited before it was ready' : 'start was cancelled'}`);
    const since = countingSince();
    if (since === undefined) {
      // Waiting for its turn: nothing listens yet, so nothing to probe; its release nudges.
      await nudge.sleep(1000, signal);
      continue;
    }
    const deadline = since + timeoutMs;
    if (await probeReady(url, Math.min(1000, Math.max(50, deadline - Date.now())))) return;
    if (Date.now() >= deadline) throw new NotReadyError(instance, 'timeout', `${instance} did not answer ${url}/ready with 200 within ${Math.round(timeoutMs / 1000)}s`);
    await nudge.sleep(interval, signal);
    interval = Math.min(MAX_POLL_INTERVAL_MS, Math.round(interval * 1.5));
  }
}
