/** What `msx doctor` found about one thing msx can use. */
export interface ProbeResult {
  readonly name: string;
  readonly ok: boolean;
  /** What was found: a version, an address, or why it failed. */
  readonly detail: string;
  /** What msx can and cannot do given this result. */
  readonly impact: string;
}

export type Probe = () => Promise<ProbeResult>;

/** Runs `work`, turning a hang into a failure after `ms`. */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
