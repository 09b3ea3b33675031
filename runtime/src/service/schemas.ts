/**
 * zod schemas whose defaults are the safe choice for values that end up in
 * a database: text PostgreSQL can store, integers its columns hold. A value
 * that would make the database fail is refused at validation with a 400
 * naming the field, instead of a 500 from the query.
 */
import { z } from 'zod';

/** Largest value of a PostgreSQL `integer` (int4) column: 2³¹ − 1. */
export const INT32_MAX = 2_147_483_647;
/** Smallest value of a PostgreSQL `integer` column: −2³¹. */
export const INT32_MIN = -2_147_483_648;

const NO_NUL = /^[^\u0000]*$/;

/**
 * A string without the NUL character (U+0000), which PostgreSQL text
 * cannot hold. Chain `.min()`, `.max()`, `.trim()` as on `z.string()`.
 *
 * @example name: text().trim().min(1).max(200)
 */
export function text() {
  return z.string().regex(NO_NUL, { error: 'must not contain the NUL character (U+0000)' });
}

/** An integer a PostgreSQL `integer` column holds (−2³¹ … 2³¹ − 1). Chain `.min()`/`.max()` to narrow it. */
export function int32() {
  return z
    .number()
    .int()
    .min(INT32_MIN, { error: `must be at least ${INT32_MIN}` })
    .max(INT32_MAX, { error: `must be at most ${INT32_MAX} (the largest integer the column holds)` });
}

/** An amount of money in integer cents, 0 … 2³¹ − 1 (an `integer` column). */
export function money() {
  return z
    .number()
    .int({ error: 'must be a whole number of cents' })
    .min(0, { error: 'must not be negative' })
    .max(INT32_MAX, { error: `must be at most ${INT32_MAX} cents` })
    .describe('integer cents');
}
