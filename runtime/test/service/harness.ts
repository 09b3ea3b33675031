// Shared test helpers: start a real service on 127.0.0.1:0 and read its log lines.
import { createService, type ConfigShape, type Service, type ServiceConfig, type ServiceOptions } from '../../src/index.js';

export interface LogLine {
  level: string;
  msg: string;
  service: string;
  instance: string;
  requestId?: string;
  [key: string]: unknown;
}

/** A pino destination that keeps every line, parsed. */
export function logCollector(): { lines: LogLine[]; write(line: string): void } {
  const lines: LogLine[] = [];
  return {
    lines,
    write(line: string) {
      lines.push(JSON.parse(line) as LogLine);
    },
  };
}

export interface Started<S extends ConfigShape> {
  service: Service<ServiceConfig<S>>;
  url: string;
  logs: LogLine[];
}

/**
 * Creates a service with `setup` adding its routes, listens on a free port
 * without signal handlers, and registers cleanup with the test context.
 */
export async function startService<S extends ConfigShape = {}>(
  t: { after(fn: () => unknown): void },
  options: Partial<ServiceOptions<S>> = {},
  setup: (service: Service<ServiceConfig<S>>) => void = () => {},
): Promise<Started<S>> {
  const logs = logCollector();
  // Open routes unless a test says otherwise: these tests are about the kit's other parts; caller checks have their own tests.
  const env = { MSX_OPEN_ROUTES: '*', ...options.env };
  const service = createService<S>({ name: 'test-svc', logDestination: logs, ...options, env } as ServiceOptions<S>);
  setup(service);
  const { url } = await service.listen({ port: 0, host: '127.0.0.1', handleSignals: false });
  t.after(async () => {
    if (!service.closing) await service.close();
  });
  return { service, url, logs: logs.lines };
}

/** Waits until `predicate` holds, polling; fails after `timeoutMs`. */
export async function eventually(predicate: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
