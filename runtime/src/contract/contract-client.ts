import type { CallOptions, HttpMethod, ServiceClient } from '../client/service-client.js';
import type { HttpStatusError, ProblemDetails } from '../client/errors/http-status-error.js';
import { isServiceCallError } from '../client/errors/service-call-error.js';
import type { Degraded } from '../client/fallback.js';

/** How a generated typed client reaches one operation (written by `msx generate` from the callee's contract). */
export interface OperationRoute {
  readonly method: HttpMethod;
  /** OpenAPI-style path on the callee: `/users/{id}`. */
  readonly path: string;
  readonly pathParams: readonly string[];
  readonly queryParams: readonly string[];
  readonly hasBody: boolean;
  /** 4xx statuses the contract declares: they come back as typed errors instead of being thrown. */
  readonly errorStatuses: readonly number[];
}

/** A declared success. */
export interface OperationSuccess<S extends number, B> {
  readonly ok: true;
  readonly status: S;
  readonly body: B;
  /** Set when the call's `fallback` answered (the callee was unavailable): why, and whether it is a default or the last good answer. */
  readonly degraded?: Degraded;
}

/** A declared refusal, answered as a problem (`404: no such user`). */
export interface OperationProblem<S extends number> {
  readonly ok: false;
  readonly status: S;
  readonly problem: ProblemDetails;
}

/** A declared refusal that carries a body of its own schema. */
export interface OperationRefusal<S extends number, B> {
  readonly ok: false;
  readonly status: S;
  readonly body: B;
}

/**
 * Calls one operation of another service through the resilient client
 * (discovery, balancing, retries for idempotent calls, breaker, service
 * token, trace context) and answers the declared outcome: a success, or a
 * 4xx the contract declares as a typed error. Everything else — an
 * undeclared status, a 5xx, a timeout, an open circuit — is thrown as the
 * client's `ServiceCallError`, as an untyped call would — unless the call
 * has a `fallback`, whose answer is returned as a success marked
 * `degraded`.
 */
export async function callOperation<R>(client: ServiceClient, service: string, route: OperationRoute, input: Readonly<Record<string, unknown>> | undefined, options: CallOptions = {}): Promise<R> {
  const values = input ?? {};
  let path = route.path;
  for (const name of route.pathParams) {
    const value = values[name];
    if (value === undefined || value === null) throw new TypeError(`${service}: the path parameter ${name} is required`);
    path = path.replace(`{${name}}`, encodeURIComponent(String(value)));
  }
  const query: Record<string, string | number | boolean | undefined> = { ...options.query };
  for (const name of route.queryParams) {
    const value = values[name];
    if (value !== undefined) query[name] = value as string | number | boolean;
  }
  try {
    const response = await client.request(service, {
      ...options,
      method: route.method,
      path,
      query,
      ...(route.hasBody ? { body: values.body } : {}),
    });
    return (response.degraded === undefined
      ? { ok: true, status: response.status, body: response.body }
      : { ok: true, status: response.status, body: response.body, degraded: response.degraded }) as R;
  } catch (error) {
    if (isServiceCallError(error) && error.code === 'HTTP_STATUS' && route.errorStatuses.includes((error as HttpStatusError).status)) {
      const refused = error as HttpStatusError;
      const body = refused.problem;
      const isProblem = String(refused.headers['content-type'] ?? '').startsWith('application/problem+json');
      return (isProblem ? { ok: false, status: refused.status, problem: body } : { ok: false, status: refused.status, body }) as R;
    }
    throw error;
  }
}
