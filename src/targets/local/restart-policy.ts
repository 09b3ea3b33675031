/**
 * When to restart a crashed instance. Exponential backoff keeps a service
 * that dies at start-up from burning the CPU; a crash loop (many crashes in
 * a short window) is flagged so `msx ps` and the logs say so instead of the
 * restarts hiding it. A crash-looping instance is still retried, at the
 * longest delay, because the cause (a database down, a port held) may pass.
 */
export interface RestartPolicyOptions {
  /** Delay before the first restart, ms. Default 500. */
  readonly initialDelayMs: number;
  /** Longest delay, ms. Default 30,000. */
  readonly maxDelayMs: number;
  /** Crashes within `windowMs` that make a crash loop. Default 5. */
  readonly crashLoopCount: number;
  /** Default 60,000. */
  readonly windowMs: number;
  /** An instance up this long has recovered: its backoff starts over. Default 30,000. */
  readonly resetAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = {
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  crashLoopCount: 5,
  windowMs: 60_000,
  resetAfterMs: 30_000,
};

export interface RestartDecision {
  readonly delayMs: number;
  readonly crashLoop: boolean;
  /** Crash times to remember for the next decision (those still inside the window). */
  readonly crashes: readonly number[];
  /** Consecutive crashes that count toward the backoff. */
  readonly streak: number;
}

/**
 * Decides the next restart of an instance that just crashed at `now`, after
 * running for `uptimeMs`, given its earlier crash times and crash streak.
 */
export function nextRestart(
  previous: { readonly crashes: readonly number[]; readonly streak: number },
  now: number,
  uptimeMs: number,
  options: RestartPolicyOptions = DEFAULT_RESTART_POLICY,
): RestartDecision {
  const crashes = [...previous.crashes.filter((t) => now - t < options.windowMs), now];
  const streak = uptimeMs >= options.resetAfterMs ? 1 : previous.streak + 1;
  const crashLoop = crashes.length >= options.crashLoopCount;
  const delayMs = crashLoop
    ? options.maxDelayMs
    : Math.min(options.maxDelayMs, options.initialDelayMs * 2 ** (streak - 1));
  return { delayMs, crashLoop, crashes, streak };
}
