/**
 * Authorisation beyond authentication: who may act on what. The service
 * kit has already verified the caller (`req.caller`); these helpers decide,
 * and throw a problem the kit answers with problem+json.
 */
import type { Request } from 'express';
import { HttpProblem } from '../service/HttpProblem.js';
import type { GatewayIdentity } from './gateway-identity.js';
import type { Caller } from './caller.js';

export const FORBIDDEN_PROBLEM_TYPE = 'urn:msx:problem:forbidden';
/** The scope that reads and acts on every user's resources (`msx token --scope admin`). */
export const ADMIN_SCOPE = 'admin';

function callerOf(req: Request): Caller {
  return req.caller ?? { kind: 'unverified' };
}

function unauthenticated(detail: string): HttpProblem {
  return new HttpProblem({ status: 401, type: 'urn:msx:problem:unauthenticated', title: 'Unauthenticated', detail });
}

/**
 * The user the request acts for: the verified identity the gateway sent.
 * Use it for every write ("done as the token's `sub`").
 *
 * @throws HttpProblem 401 when no user is behind the request (a public
 *   route's anonymous call, another service, an open route).
 */
export function requireUser(req: Request): GatewayIdentity {
  const caller = callerOf(req);
  if (caller.kind === 'user') return caller.identity;
  throw unauthenticated('This endpoint acts for a user: call it through the gateway with a user token');
}

export interface OwnerOrScopeOptions {
  /** A scope that grants access to every owner's resource. Default `admin`. */
  readonly scope?: string;
  /**
   * What another user gets: 403 (default) says the resource is not theirs;
   * 404 does not even say it exists (an order id someone guessed).
   */
  readonly otherwise?: 403 | 404;
  /** Let other services (service tokens) through. Default true: a service acts for the system, not for a user. */
  readonly services?: boolean;
  /** Detail of the refusal. */
  readonly detail?: string;
}

/**
 * Lets the request through when it acts for `ownerId`, holds `scope`
 * (default `admin`), or comes from another service; otherwise throws.
 * Returns the caller so a route can tell which case it is.
 *
 * @example
 * requireOwnerOrScope(req, order.state.userId, { otherwise: 404 });
 * @throws HttpProblem 401 without a user, 403 (or 404) for another user.
 */
export function requireOwnerOrScope(req: Request, ownerId: string, options: OwnerOrScopeOptions = {}): Caller {
  const caller = callerOf(req);
  if (caller.kind === 'service' && options.services !== false) return caller;
  if (caller.kind !== 'user') throw unauthenticated('This resource belongs to a user: call it through the gateway with a user token');
  const { identity } = caller;
  if (identity.sub === ownerId || identity.scopes.includes(options.scope ?? ADMIN_SCOPE)) return caller;
  if (options.otherwise === 404) throw new HttpProblem({ status: 404, detail: options.detail ?? 'no such resource' });
  throw new HttpProblem({
    status: 403,
    type: FORBIDDEN_PROBLEM_TYPE,
    title: 'Forbidden',
    detail: options.detail ?? `this resource belongs to another user; reading it needs the ${options.scope ?? ADMIN_SCOPE} scope`,
  });
}
