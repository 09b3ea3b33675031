import type { ErrorRequestHandler, Request, RequestHandler, Response, Router } from 'express';
import { z } from 'zod';
import { isDiskFull } from '../data/disk-full.js';
import { allowedMethods } from './allowedMethods.js';
import { HttpProblem, isHttpProblem, PROBLEM_CONTENT_TYPE } from './HttpProblem.js';
import { dataExceptionOf } from '../data/sql-state.js';
import { validationProblem } from './validate.js';

export const MALFORMED_JSON_PROBLEM_TYPE = 'urn:msx:problem:malformed-json';
export const BODY_TOO_LARGE_PROBLEM_TYPE = 'urn:msx:problem:body-too-large';
export const INSUFFICIENT_STORAGE_PROBLEM_TYPE = 'urn:msx:problem:insufficient-storage';
export const UNSTORABLE_VALUE_PROBLEM_TYPE = 'urn:msx:problem:unstorable-value';

/** Sends `problem` as `application/problem+json`, with the request path as `instance` and the request id. */
export function sendProblem(req: Request, res: Response, problem: HttpProblem): void {
  const body = problem.toDocument(req.originalUrl.split('?', 1)[0]);
  if (body.requestId === undefined) body.requestId = req.id;
  res.status(problem.status);
  res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
  res.end(JSON.stringify(body));
}

/**
 * The last handler before the error handler: a path no router knows is a
 * 404; a known path asked with a method it does not answer is a 405 with an
 * `Allow` header.
 */
export function notFound(routers: () => readonly Router[]): RequestHandler {
  return (req, res) => {
    const allow = allowedMethods(routers(), req.path);
    if (allow.length > 0) {
      res.setHeader('Allow', allow.join(', '));
      sendProblem(req, res, new HttpProblem({ status: 405, detail: `${req.method} is not allowed on ${req.path}; use ${allow.join(', ')}` }));
      return;
    }
    sendProblem(req, res, new HttpProblem({ status: 404, detail: `no route for ${req.method} ${req.path}` }));
  };
}

/**
 * Turns whatever a route threw into a problem+json response. Client
 * mistakes keep their status and message; anything unexpected becomes a 500
 * whose body says nothing about the code, while the log line carries the
 * stack and the request id that the body also shows.
 */
export function problemHandler(): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const log = req.log;
    if (res.headersSent) {
      // Too late for a problem document: cut the response so the client sees it failed.
      log.error({ err }, 'error after the response started; closing the connection');
      res.destroy();
      return;
    }
    const problem = toProblem(err, req);
    if (problem.status >= 500) log.error({ err }, problem.title);
    // A value that slipped past validation: the caller's mistake, but a schema should have caught it.
    else if (problem.type === UNSTORABLE_VALUE_PROBLEM_TYPE) log.warn({ sqlState: problem.extensions.sqlState, reason: err instanceof Error ? err.message : String(err) }, problem.title);
    // Only the reason: a body-parser error also carries the raw body, which must not reach the logs.
    else if (!isHttpProblem(err)) log.debug({ reason: err instanceof Error ? err.message : String(err) }, problem.title);
    sendProblem(req, res, problem);
  };
}

const DATA_EXCEPTION_DETAIL: Readonly<Record<string, string>> = {
  '22P05': 'the request holds text with a character the database cannot store (NUL, U+0000)',
  '22021': 'the request holds text with a character the database cannot store (NUL, U+0000, or bad encoding)',
  '22003': 'the request holds a number beyond what the database column holds',
  '22001': 'the request holds text longer than the database column holds',
  '22P02': 'the request holds a value of the wrong form for the database column',
};

interface HttpLikeError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  type?: unknown;
  limit?: unknown;
  message?: unknown;
}

function toProblem(err: unknown, req: Request): HttpProblem {
  if (isHttpProblem(err)) return err;
  if (err instanceof z.ZodError) return validationProblem(err);

  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpLikeError;
  // body-parser's errors carry a `type` naming what went wrong.
  switch (e.type) {
    case 'entity.parse.failed':
      return new HttpProblem({
        status: 400,
        type: MALFORMED_JSON_PROBLEM_TYPE,
        title: 'Malformed JSON body',
        detail: typeof e.message === 'string' ? e.message : 'the request body is not valid JSON',
        cause: err,
      });
    case 'entity.too.large':
      return new HttpProblem({
        status: 413,
        type: BODY_TOO_LARGE_PROBLEM_TYPE,
        title: 'Request body too large',
        detail: typeof e.limit === 'number' ? `the request body exceeds the limit of ${e.limit} bytes` : 'the request body exceeds the limit',
        cause: err,
      });
  }
  if (isDiskFull(err)) {
    // Not a bug to hide behind a 500: the request was fine, the disk is full; retry once space is freed.
    return new HttpProblem({
      status: 507,
      type: INSUFFICIENT_STORAGE_PROBLEM_TYPE,
      title: 'Insufficient Storage',
      detail: 'the service could not store this: no disk space is left for its data; retry once space is freed',
      cause: err,
    });
  }
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
  if (Number.isInteger(status) && status >= 400 && status < 500) {
    // http-errors marks messages that are safe to show with `expose`.
    const detail = e.expose === true && typeof e.message === 'string' ? e.message : undefined;
    return new HttpProblem({ status, ...(detail === undefined ? {} : { detail }), cause: err });
  }
  // Last resort for values validation did not refuse (a NUL in text, an
  // integer beyond the column): the database's data exception is a 400.
  const sqlState = dataExceptionOf(err);
  if (sqlState !== undefined) {
    return new HttpProblem({
      status: 400,
      type: UNSTORABLE_VALUE_PROBLEM_TYPE,
      title: 'Value cannot be stored',
      detail: DATA_EXCEPTION_DETAIL[sqlState] ?? 'the request holds a value the database cannot store',
      extensions: { sqlState },
      cause: err,
    });
  }
  return new HttpProblem({
    status: 500,
    detail: `an unexpected error occurred; quote request id ${req.id} when reporting it`,
    cause: err,
  });
}
