/**
 * A readiness check: resolve (or return) normally when the dependency is
 * usable; throw, reject or return `false` when it is not.
 */
export type ReadinessCheck = () => unknown;

export interface ReadinessCheckOptions {
  /** How long the check may take before it counts as down. Default 2000 ms. */
  readonly timeoutMs?: number;
}

export interface DependencyState {
  readonly status: 'up' | 'down';
  readonly durationMs: number;
  /** Why it is down. */
  readonly error?: string;
}

export interface ReadinessReport {
  /** `ready` when every check is up; `not_ready` when one is down; `shutting_down` once shutdown began. */
  readonly status: 'ready' | 'not_ready' | 'shutting_down';
  readonly checks: Readonly<Record<string, DependencyState>>;
}

export const DEFAULT_READINESS_TIMEOUT_MS = 2000;

interface RegisteredCheck {
  readonly check: ReadinessCheck;
  readonly timeoutMs: number;
}

/**
 * The dependencies a service needs before it can take traffic. `/ready`
 * runs every check in parallel, each bounded by its timeout, and answers
 * 503 while one is down or once shutdown began (so load balancers stop
 * sending traffic before the server stops accepting it).
 */
export class Readiness {
  readonly #checks = new Map<string, RegisteredCheck>();
  #shuttingDown = false;

  /** Registers a dependency check under a unique name (`database`, `bus`). */
  add(name: string, check: ReadinessCheck, options: ReadinessCheckOptions = {}): this {
    if (this.#checks.has(name)) throw new Error(`readiness check "${name}" is already registered`);
    const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
    if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) {
      throw new RangeError(`readiness check "${name}": timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
    }
    this.#checks.set(name, { check, timeoutMs });
    return this;
  }

  /** The names of the registered checks, in registration order. */
  get names(): readonly string[] {
    return [...this.#checks.keys()];
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /** From now on the service reports `shutting_down` (503). There is no way back. */
  markShuttingDown(): void {
    this.#shuttingDown = true;
  }

  /** Runs every check and reports each dependency's state. */
  async report(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.#checks].map(async ([name, registered]) => [name, await runCheck(registered)] as const),
    );
    const checks = Object.fromEntries(entries);
    const allUp = entries.every(([, state]) => state.status === 'up');
    const status = this.#shuttingDown ? 'shutting_down' : allUp ? 'ready' : 'not_ready';
    return { status, checks };
  }
}

async function runCheck({ check, timeoutMs }: RegisteredCheck): Promise<DependencyState> {
  const start = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = await Promise.race([Promise.resolve().then(check), timeout]);
    const durationMs = Math.round(performance.now() - start);
    return result === false ? { status: 'down', durationMs, error: 'check reported the dependency down' } : { status: 'up', durationMs };
  } catch (error) {
    return { status: 'down', durationMs: Math.round(performance.now() - start), error: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}
