import type { Request, RequestHandler } from 'express';
import { HttpProblem } from '../service/HttpProblem.js';
import { sendProblem } from '../service/problemResponses.js';
import { createServiceTokenVerifier, type ServiceIdentity, type VerifyServiceTokenOptions } from './service-token.js';
import { ServiceTokenError } from './service-token-error.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** The verified calling service, set by `requireServiceToken`. */
      serviceCaller?: ServiceIdentity;
    }
  }
}

export const SERVICE_TOKEN_PROBLEM_TYPE = 'urn:msx:problem:service-token';

function bearerOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  if (typeof header !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

/**
 * Express middleware for routes only other services may call: requires
 * `Authorization: Bearer <service token>` minted for `audience`, verified
 * with the pinned algorithm, `exp`, `aud`, `iss` (against `allowedIssuers`)
 * and `type: 'service'`. On success the caller is in
 * `res.locals.serviceCaller`; otherwise the answer is a 401 problem+json
 * with an RFC 6750 `WWW-Authenticate` header and a `code` member.
 */
export function requireServiceToken(options: VerifyServiceTokenOptions): RequestHandler {
  const verify = createServiceTokenVerifier(options);
  return (req, res, next) => {
    const token = bearerOf(req);
    verify(token ?? '').then(
      (identity) => {
        res.locals.serviceCaller = identity;
        next();
      },
      (err: unknown) => {
        if (!(err instanceof ServiceTokenError)) {
          next(err);
          return;
        }
        res.setHeader(
          'WWW-Authenticate',
          err.code === 'missing' ? 'Bearer realm="msx-services"' : `Bearer realm="msx-services", error="invalid_token", error_description="${err.code}"`,
        );
        sendProblem(
          req,
          res,
          new HttpProblem({ status: 401, type: SERVICE_TOKEN_PROBLEM_TYPE, title: 'Service token required', detail: err.message, extensions: { code: err.code } }),
        );
      },
    );
  };
}
