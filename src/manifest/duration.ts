/** Durations in msx.yaml are written like `500ms`, `5s`, `1m`, `1h`. */
export const DURATION = /^(\d+)(ms|s|m|h)$/;

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export function durationMs(text: string): number {
  const match = DURATION.exec(text);
  if (!match) throw new TypeError(`not a duration: ${text}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}
