import { request } from 'node:http';
import type { LocalPaths } from './local-paths.js';
import { readControl, type ControlInfo } from './state-store.js';

/** The supervisor answered with an error status. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(readonly status: number, message: string, readonly service?: string) {
    super(message);
  }
}

/**
 * Talks to a running supervisor through its control channel. `reach`
 * returns undefined when no supervisor answers, which is how commands tell
 * "running" from "stale files of a run that ended".
 */
export class ControlClient {
  private constructor(private readonly info: ControlInfo) {}

  static async reach(paths: LocalPaths, timeoutMs = 1500): Promise<ControlClient | undefined> {
    const info = readControl(paths);
    if (!info) return undefined;
    const client = new ControlClient(info);
    try {
      await client.call('GET', '/state', undefined, timeoutMs);
      return client;
    } catch {
      return undefined;
    }
  }

  get pid(): number {
    return this.info.pid;
  }

  call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({
        host: '127.0.0.1',
        port: this.info.port,
        method,
        path,
        timeout: timeoutMs,
        agent: false,
        headers: { authorization: `Bearer ${this.info.token}`, ...(payload ? { 'content-type': 'application/json' } : {}) },
      }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let data: unknown;
          try {
            data = text ? JSON.parse(text) : undefined;
          } catch {
            data = { error: text };
          }
          if ((res.statusCode ?? 500) >= 400) {
            const error = data as { error?: string; service?: string } | undefined;
            reject(new ControlError(res.statusCode ?? 500, error?.error ?? `status ${res.statusCode}`, error?.service));
          } else resolve(data as T);
        });
      });
      req.on('timeout', () => req.destroy(new Error(`the supervisor did not answer within ${Math.round(timeoutMs / 1000)}s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
