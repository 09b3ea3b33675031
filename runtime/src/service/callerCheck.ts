import type { RequestHandler } from 'express';
import { CallerRefusedError, createCallerVerifier, type Caller } from '../auth/caller.js';
import { IDENTITY_SECRET_ENV, type RequestWithIdentity } from '../auth/gateway-identity.js';
import { SERVICE_TOKEN_SECRET_ENV } from '../auth/service-token.js';
import { ConfigError, type ConfigIssue } from './errors/ConfigError.js';
import { HttpProblem } from './HttpProblem.js';
import { isOpen, OPEN_ROUTES_ENV, parseOpenRoutes } from './openRoutes.js';
import { sendProblem } from './problemResponses.js';
import { systemCompatibility } from './compatibility.js';

export const UNAUTHENTICATED_PROBLEM_TYPE = 'urn:msx:problem:unauthenticated';

const MIN_IDENTITY_SECRET_CHARS = 16;
const MIN_SERVICE_TOKEN_SECRET_BYTES = 32;
const UNVERIFIED: Caller = { kind: 'unverified' };

/**
 * The kit's gate in front of every route (probes are answered before it):
 * a request is served when the gateway's signed identity (a user's, or the
 * anonymous one of a public route) or a service token minted for this
 * service vouches for it, or when msx.yaml marks its route open
 * (`MSX_OPEN_ROUTES`). Anything else gets a 401 problem+json with
 * `WWW-Authenticate`, before its body is read. The verified caller is in
 * `req.caller` (and, as before, a user in `req.identity` and a service in
 * `res.locals.serviceCaller`).
 *
 * @throws ConfigError when `MSX_OPEN_ROUTES` is malformed or a secret is too short to be safe.
 */
export function callerCheck(service: string, env: Readonly<Record<string, string | undefined>>): RequestHandler {
  const issues: ConfigIssue[] = [];
  const open = parseOpenRoutes(env[OPEN_ROUTES_ENV]);
  if ('issue' in open) issues.push(open.issue);
  const identitySecret = env[IDENTITY_SECRET_ENV] || undefined;
  if (identitySecret !== undefined && identitySecret.length < MIN_IDENTITY_SECRET_CHARS) {
    issues.push({ variable: IDENTITY_SECRET_ENV, problem: `must be at least ${MIN_IDENTITY_SECRET_CHARS} characters`, received: '(redacted)' });
  }
  const serviceTokenSecret = env[SERVICE_TOKEN_SECRET_ENV] || undefined;
  if (serviceTokenSecret !== undefined && Buffer.byteLength(serviceTokenSecret) < MIN_SERVICE_TOKEN_SECRET_BYTES) {
    issues.push({ variable: SERVICE_TOKEN_SECRET_ENV, problem: `must be at least ${MIN_SERVICE_TOKEN_SECRET_BYTES} bytes`, received: '(redacted)' });
  }
  if ('issue' in open || issues.length > 0) throw new ConfigError(service, issues);
  const openRoutes = open.routes;
  const verify = createCallerVerifier({ service, identitySecret, serviceTokenSecret });
  let warnedUnconfigured = false;
  // Tests written for msx 0.1 call services with no credentials; see compatibility.ts.
  const trustUncredentialedCallers = env.MSX_INSTANCE === undefined && env.NODE_TEST_CONTEXT !== undefined && systemCompatibility().unverifiedCallersInTests;
  let warnedCompatibility = false;

  return (req, res, next) => {
    verify(req.headers).then(
      (caller) => {
        req.caller = caller;
        if (caller.kind === 'user') (req as unknown as RequestWithIdentity).identity = caller.identity;
        if (caller.kind === 'service') res.locals.serviceCaller = caller.service;
        next();
      },
      (error: unknown) => {
        if (!(error instanceof CallerRefusedError)) return next(error);
        // An open route serves anyone; headers that fail to verify there are only ignored.
        if (isOpen(openRoutes, req.method, req.path)) {
          req.caller = UNVERIFIED;
          return next();
        }
        if (trustUncredentialedCallers && (error.code === 'missing' || error.code === 'not-configured')) {
          if (!warnedCompatibility) {
            warnedCompatibility = true;
            req.log.warn({ code: 'unverified-callers' }, 'Serving a caller with no credentials unverified: this is a test under node --test and package.json has msx.compatibility.unverifiedCallersInTests (kept by msx upgrade for tests written for msx 0.1). Make the tests call as the gateway does (gatewayIdentityHeaders from @msx/runtime/auth), then remove the switch');
          }
          req.caller = UNVERIFIED;
          return next();
        }
        // Once, not per request: the fix is in the environment, and a flood of lines would hide it.
        if (error.code === 'not-configured' && !warnedUnconfigured) {
          warnedUnconfigured = true;
          req.log.warn({ code: error.code }, `${error.message}; every route but the probes and open ones answers 401`);
        }
        res.setHeader(
          'WWW-Authenticate',
          error.code === 'missing' || error.code === 'not-configured'
            ? 'Bearer realm="msx"'
            : `Bearer realm="msx", error="invalid_token", error_description="${error.code}"`,
        );
        sendProblem(req, res, new HttpProblem({ status: 401, type: UNAUTHENTICATED_PROBLEM_TYPE, title: 'Unauthenticated', detail: error.message, extensions: { code: error.code } }));
      },
    );
  };
}

