import { HttpProblem, type ProblemInit } from './HttpProblem.js';

type ProblemExtras = Omit<ProblemInit, 'status' | 'detail'>;
type ProblemFactory = (detail?: string, extras?: ProblemExtras) => HttpProblem;

function factory(status: number): ProblemFactory {
  return (detail, extras) => new HttpProblem({ ...extras, status, ...(detail === undefined ? {} : { detail }) });
}

/**
 * Shorthands for the common client errors: `throw problems.notFound(\`no user ${id}\`)`.
 * Each takes the occurrence's `detail` and optionally a custom `title`, `type`
 * or extension members.
 */
export const problems = {
  badRequest: factory(400),
  unauthorized: factory(401),
  forbidden: factory(403),
  notFound: factory(404),
  conflict: factory(409),
  gone: factory(410),
  unprocessable: factory(422),
  tooManyRequests: factory(429),
  internal: factory(500),
  serviceUnavailable: factory(503),
} as const satisfies Record<string, ProblemFactory>;
