/** Polls `check` until it returns true or `timeoutMs` passes; then fails with `what` and the last state. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000, describe?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${describe ? `; state: ${JSON.stringify(describe())}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
