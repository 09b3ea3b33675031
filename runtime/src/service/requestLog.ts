import type { RequestHandler } from 'express';
import { routeTemplate } from './routeTemplate.js';

/**
 * Logs one line per request when it completes: method, route template,
 * status, duration and (through the request logger) the request id.
 * 5xx responses log at `error`, aborted requests at `warn`.
 */
export function requestLog(): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.once('close', () => {
      const fields = {
        method: req.method,
        route: routeTemplate(req),
        path: req.originalUrl.split('?', 1)[0],
        status: res.statusCode,
        durationMs: Math.round(Number(process.hrtime.bigint() - start) / 1e4) / 100,
      };
      if (!res.writableFinished) req.log.warn({ ...fields, aborted: true }, 'request aborted');
      else if (res.statusCode >= 500) req.log.error(fields, 'request failed');
      else req.log.info(fields, 'request completed');
    });
    next();
  };
}
