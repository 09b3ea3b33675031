/**
 * Server-sent events: the one way the dashboard's pages are kept live (no
 * page polls). A comment line every 15 s keeps proxies and idle timeouts
 * from closing a quiet stream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EventStream {
  send(event: string, data: unknown): void;
  readonly closed: AbortSignal;
}

export function openEventStream(req: IncomingMessage, res: ServerResponse): EventStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write('retry: 1000\n\n');
  const abort = new AbortController();
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const close = () => {
    clearInterval(keepAlive);
    abort.abort();
  };
  req.on('close', close);
  res.on('error', close);
  return {
    send: (event, data) => {
      if (!abort.signal.aborted) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    closed: abort.signal,
  };
}
