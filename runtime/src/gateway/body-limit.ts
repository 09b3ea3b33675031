/**
 * Body size limits written as in msx.yaml (`'10mb'`, `'512kb'`, `1048576`).
 * Pure parsing; the proxy enforces the result.
 */
const UNITS: Readonly<Record<string, number>> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };

/** Bytes for `limit`, or undefined when it is not a size (the caller reports which option). */
export function parseBodyLimit(limit: string | number): number | undefined {
  if (typeof limit === 'number') return Number.isSafeInteger(limit) && limit >= 0 ? limit : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(limit);
  if (match === null) return undefined;
  const unit = UNITS[(match[2] ?? 'b').toLowerCase()] ?? 1;
  return Math.floor(Number(match[1]) * unit);
}
