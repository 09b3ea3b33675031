import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { currentTraceId, traceIdOf } from '../tracing/propagation.js';

declare global {
  // Express's own augmentation point for request and locals types.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The request id: the caller's `X-Request-ID` when sane, otherwise a fresh UUID. */
      id: string;
      /** Logger for this request: every line carries `requestId`, and `traceId` when the request is part of a trace. */
      log: Logger;
    }
    interface Locals {
      requestId: string;
      log: Logger;
    }
  }
}

export const REQUEST_ID_HEADER = 'X-Request-ID';

/** Ids we accept from callers: bounded, and no characters that could forge log lines or headers. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:+=/-]{1,128}$/;

/**
 * Gives each request its id and logger. The caller's `X-Request-ID` is
 * reused when it is sane so a request can be followed across services;
 * anything else is replaced by a random UUID. The id is echoed on the
 * response.
 */
export function requestContext(log: Logger): RequestHandler {
  return (req, res, next) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SANE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    // The trace id joins a request's lines across services (`msx logs --trace`);
    // without tracing it still comes from the caller's traceparent.
    const traceId = currentTraceId() ?? traceIdOf(req.headers.traceparent);
    const requestLog = log.child(traceId === undefined ? { requestId: id } : { requestId: id, traceId });
    req.id = id;
    req.log = requestLog;
    res.locals.requestId = id;
    res.locals.log = requestLog;
    res.setHeader(REQUEST_ID_HEADER, id);
    next();
  };
}
