import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ControlInfo } from './state-store.js';
import { ScaleError, type Supervisor } from './supervisor.js';

/**
 * The supervisor's control channel: a small HTTP server on 127.0.0.1 with a
 * random bearer token that only the owner of `.msx/control.json` can read.
 * Other msx processes (`scale`, `down`) ask through it; read-only commands
 * (`ps`, `logs`) read the state and log files instead.
 *
 *   GET  /state            the supervisor's state
 *   POST /scale {counts}   → 200 [changes] once instances are ready / drained
 *   POST /restart {instance} → 200 once the instance is ready again (404 unknown instance)
 *   POST /stop             → 202, then stops everything
 */
export async function startControlServer(supervisor: Supervisor, onStop: () => void): Promise<{ info: ControlInfo; close(): Promise<void> }> {
  const token = randomBytes(24).toString('hex');
  const expected = Buffer.from(`Bearer ${token}`);
  const server: Server = createServer((req, res) => {
    const presented = Buffer.from(req.headers.authorization ?? '');
    if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return send(res, 401, { error: 'unauthorized' });
    void route(req, res).catch((error: unknown) => send(res, 500, { error: (error as Error).message }));
  });

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === 'GET' && req.url === '/state') return send(res, 200, supervisor.snapshot());
    if (req.method === 'POST' && req.url === '/scale') {
      const body = (await readBody(req)) as { counts?: Record<string, number> };
      try {
        return send(res, 200, await supervisor.scale(body.counts ?? {}));
      } catch (error) {
        if (error instanceof ScaleError) return send(res, 400, { error: error.message, service: error.service });
        return send(res, 500, { error: (error as Error).message });
      }
    }
    if (req.method === 'POST' && req.url === '/restart') {
      const body = (await readBody(req)) as { instance?: unknown };
      if (typeof body.instance !== 'string') return send(res, 400, { error: 'instance is required' });
      if (!supervisor.snapshot().instances.some((i) => i.id === body.instance)) return send(res, 404, { error: `no instance ${body.instance}` });
      try {
        await supervisor.restartInstance(body.instance);
        return send(res, 200, { restarted: body.instance });
      } catch (error) {
        return send(res, 500, { error: (error as Error).message });
      }
    }
    if (req.method === 'POST' && req.url === '/stop') {
      send(res, 202, { stopping: true });
      onStop();
      return;
    }
    send(res, 404, { error: 'not found' });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  server.unref();
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    info: { pid: process.pid, port, token },
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? JSON.parse(text) : {};
}
