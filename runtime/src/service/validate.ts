import { z } from 'zod';
import { HttpProblem, type FieldError } from './HttpProblem.js';

/** Problem type of a request that failed schema validation. */
export const VALIDATION_PROBLEM_TYPE = 'urn:msx:problem:validation';

/**
 * Parses `value` with `schema` and returns the typed result, or throws a 400
 * problem whose `errors` lists every invalid field (pointer, dotted path and
 * what is wrong). Use it on `req.body`, `req.query` or `req.params`.
 *
 * @example const input = validate(UserInput, req.body);
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationProblem(result.error);
}

/** The 400 problem for a failed zod parse (also used when a route throws a ZodError itself). */
export function validationProblem(error: z.ZodError): HttpProblem {
  const errors = error.issues.map(toFieldError);
  return new HttpProblem({
    status: 400,
    type: VALIDATION_PROBLEM_TYPE,
    title: 'Request validation failed',
    detail: `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${errors.map((e) => e.field || '(value)').join(', ')}`,
    errors,
  });
}

function toFieldError(issue: z.core.$ZodIssue): FieldError {
  const segments = issue.path.map((segment) => String(segment));
  return {
    pointer: `#${segments.map((s) => `/${s.replaceAll('~', '~0').replaceAll('/', '~1')}`).join('')}`,
    field: segments.join('.'),
    detail: issue.message,
  };
}
