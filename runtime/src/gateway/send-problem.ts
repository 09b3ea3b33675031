/**
 * The gateway's own answers (401, 404, 429, 503, 504…) as RFC 9457
 * problem+json, built from the service kit's `HttpProblem` so gateway and
 * services speak the same error format.
 */
import type { ServerResponse } from 'node:http';
import { HttpProblem, PROBLEM_CONTENT_TYPE, type ProblemInit } from '../service/HttpProblem.js';

/** Problem type URIs of the gateway, stable so clients can branch on them. */
export const GATEWAY_PROBLEM_TYPES = {
  unauthenticated: 'https://msx.dev/problems/unauthenticated',
  rateLimited: 'https://msx.dev/problems/rate-limited',
  upstreamUnavailable: 'https://msx.dev/problems/upstream-unavailable',
  upstreamTimeout: 'https://msx.dev/problems/upstream-timeout',
  upstreamFailed: 'https://msx.dev/problems/upstream-failed',
  bodyTooLarge: 'https://msx.dev/problems/body-too-large',
  routeNotFound: 'https://msx.dev/problems/route-not-found',
  methodNotAllowed: 'https://msx.dev/problems/method-not-allowed',
  badPath: 'https://msx.dev/problems/bad-path',
  requestTimeout: 'https://msx.dev/problems/request-timeout',
  badRequest: 'https://msx.dev/problems/bad-request',
} as const;

export function sendProblem(res: ServerResponse, init: ProblemInit, instance: string | undefined, requestId: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const problem = new HttpProblem(init);
  const body = JSON.stringify({ ...problem.toDocument(instance), requestId });
  res.statusCode = problem.status;
  res.setHeader('content-type', PROBLEM_CONTENT_TYPE);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
