/**
 * Publishing in a window of outstanding confirms, the same for every
 * contender: start `total` operations, never more than `window` unconfirmed
 * at once; resolve when all are confirmed. Each operation is a promise for
 * both the raw client and the msx bus, so neither pays for it alone.
 */
export async function runWindowed(total: number, window: number, start: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  let failed: unknown;
  const lane = async () => {
    while (next < total && failed === undefined) {
      const i = next++;
      await start(i).catch((err: unknown) => { failed = err; });
    }
  };
  await Promise.all(Array.from({ length: Math.min(window, total) }, lane));
  if (failed !== undefined) throw failed;
}

/** Resolves when `count()` reaches `target`, checking on every call of the returned tick. */
export function countdown(target: number): { tick(): void; done: Promise<void> } {
  let seen = 0;
  let resolve!: () => void;
  const done = new Promise<void>((r) => { resolve = r; });
  return {
    tick() {
      seen++;
      if (seen === target) resolve();
    },
    done,
  };
}
