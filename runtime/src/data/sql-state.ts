/**
 * SQLSTATE checks that read the `code` field both engines' errors carry,
 * never the message text.
 */

/** `23505`: a unique or primary-key constraint refused the row. */
export function isUniqueViolation(error: unknown): boolean {
  return sqlStateOf(error) === '23505';
}

export function sqlStateOf(error: unknown): string | undefined {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Class `22`, data exception: the database refused a value itself, not the
 * statement — `22P05` a NUL character, `22003` a number out of range,
 * `22021` bad encoding, `22001` a string too long. Such a value came from
 * the request, so it is the caller's 400, not the service's 500. Looks
 * through `cause` chains, as drivers and transaction helpers wrap errors.
 */
export function dataExceptionOf(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const state = sqlStateOf(current);
    if (state !== undefined) return state.startsWith('22') ? state : undefined;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}
