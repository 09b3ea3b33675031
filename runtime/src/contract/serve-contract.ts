import type { Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { HttpProblem } from '../service/HttpProblem.js';
import type { Service } from '../service/service.js';
import { validate } from '../service/validate.js';
import { openApiDocument, OPENAPI_PATH, type DocumentOptions } from './openapi-document.js';
import { isProblemResponse, type Contract, type RouteSpec } from './route-contract.js';

type Output<S> = S extends z.ZodType ? z.output<S> : undefined;

/** What a handler receives: the request's params, query and body, parsed by the route's schemas. */
export interface RouteInput<R extends RouteSpec> {
  readonly params: R['params'] extends z.ZodType ? z.output<R['params']> : Record<string, string>;
  readonly query: R['query'] extends z.ZodType ? z.output<R['query']> : Record<string, unknown>;
  readonly body: Output<R['body']>;
}

type BodyStatuses<R extends RouteSpec> = { [S in keyof R['responses']]: R['responses'][S] extends z.ZodType ? S : never }[keyof R['responses']];

/**
 * What a handler answers: one of the statuses its contract declares with a
 * body schema, and a body of that schema. Problem statuses are thrown as
 * `HttpProblem`s instead (`problems.notFound(…)`).
 */
export type RouteReply<R extends RouteSpec> = {
  [S in BodyStatuses<R>]: { readonly status: S; readonly body: R['responses'][S] extends z.ZodType ? z.input<R['responses'][S]> : never; readonly headers?: Readonly<Record<string, string>> };
}[BodyStatuses<R>];

export type RouteHandler<R extends RouteSpec> = (input: RouteInput<R>, req: Request, res: Response) => Promise<RouteReply<R>> | RouteReply<R>;

/** A handler, or a handler with middleware that runs before validation (an identity check, a service-token guard). */
export type RouteImplementation<R extends RouteSpec> = RouteHandler<R> | { readonly use: readonly RequestHandler[]; readonly handle: RouteHandler<R> };

export type ContractHandlers<C extends Contract> = { readonly [K in keyof C['routes']]: RouteImplementation<C['routes'][K]> };

/** Problem type of an answer that its own contract does not allow: a bug in the service, never the caller's fault. */
export const CONTRACT_VIOLATION_PROBLEM_TYPE = 'urn:msx:problem:contract-violation';

export interface ServeOptions extends DocumentOptions {
  /** Serve the document on `GET /openapi.json`. Default true. */
  readonly serveDocument?: boolean;
}

/**
 * Serves every operation of `contract` on `service.app` with its handler:
 * params, query and body are validated first (a 400 problem naming every
 * invalid field), and the handler's answer is checked against the declared
 * response schema before it is sent, so the service never answers what
 * its contract does not say (fields a schema does not list are dropped;
 * an answer that does not match is a 500 and a logged contract violation).
 * The OpenAPI document is served on `GET /openapi.json`, to the same
 * verified callers as every other route: it describes internal operations too.
 *
 * TypeScript checks that every operation has a handler and that each
 * handler answers what the contract declares.
 */
export function serveContract<C extends Contract>(service: Pick<Service, 'app'>, contract: C, handlers: ContractHandlers<C>, options: ServeOptions = {}): void {
  for (const [id, route] of Object.entries(contract.routes) as [string, RouteSpec][]) {
    const implementation = (handlers as unknown as Record<string, RouteImplementation<RouteSpec> | undefined>)[id];
    if (implementation === undefined) throw new TypeError(`serveContract('${contract.service}'): operation ${id} has no handler`);
    const { use, handle } = typeof implementation === 'function' ? { use: [], handle: implementation } : implementation;
    const serve: RequestHandler = async (req, res) => {
      const input = {
        params: route.params ? validate(route.params, req.params) : req.params,
        query: route.query ? validate(route.query, req.query) : req.query,
        body: route.body ? validate(route.body, req.body ?? {}) : undefined,
      } as RouteInput<RouteSpec>;
      const reply = (await handle(input, req, res)) as { status: number; body: unknown; headers?: Record<string, string> };
      if (res.headersSent) return;
      const spec = route.responses[reply.status];
      if (spec === undefined || isProblemResponse(spec)) {
        throw violation(req, id, `answered ${reply.status}, which the contract does not declare with a body`);
      }
      if (reply.headers) res.set(reply.headers);
      if (reply.status === 204) return void res.status(204).end();
      // Checked as it will be sent: what JSON.stringify makes of it (dates become strings).
      const checked = spec.safeParse(reply.body === undefined ? undefined : JSON.parse(JSON.stringify(reply.body)));
      if (!checked.success) {
        const fields = checked.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`);
        throw violation(req, id, `answered a ${reply.status} body that does not match the contract (${fields.join('; ')})`);
      }
      res.status(reply.status).json(checked.data);
    };
    service.app[route.method](route.path, ...use, serve);
  }
  if (options.serveDocument !== false) {
    let document: string | undefined;
    service.app.get(OPENAPI_PATH, (_req, res) => {
      document ??= JSON.stringify(openApiDocument(contract, options));
      res.type('application/json').send(document);
    });
  }
}

function violation(req: Request, id: string, what: string): HttpProblem {
  (req as { log?: { error(details: object, message: string): void } }).log?.error({ operation: id }, `contract violation: ${id} ${what}`);
  return new HttpProblem({ status: 500, type: CONTRACT_VIOLATION_PROBLEM_TYPE, title: 'The service broke its own contract', detail: `${id} ${what}` });
}
