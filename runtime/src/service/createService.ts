import { createServer, type Server } from 'node:http';
import { constants as osConstants } from 'node:os';
import express from 'express';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { DEFAULT_SIGNAL_SHUTDOWN_DELAY_MS, loadConfig, type ConfigShape, type ServiceConfig } from './config.js';
import { announceDraining } from './drainNotice.js';
import { announceListening } from './startGate.js';
import { ConfigError } from './errors/ConfigError.js';
import { ListenError } from './errors/ListenError.js';
import { ShutdownError } from './errors/ShutdownError.js';
import { StartupError } from './errors/StartupError.js';
import { STARTUP_EXIT_CODES } from './errors/exitCodes.js';
import { initTracing } from '../tracing/init-tracing.js';
import type { Tracing } from '../tracing/tracing.js';
import { callerCheck } from './callerCheck.js';
import { adminRoutes } from '../admin/admin-routes.js';
import { httpMetrics } from './httpMetrics.js';
import { createLogger } from './logger.js';
import { notFound, problemHandler } from './problemResponses.js';
import { probes } from './probes.js';
import { Readiness } from './readiness.js';
import { isDiscoveryError } from '../discovery/discovery-error.js';
import { requestContext } from './requestContext.js';
import { requestLog } from './requestLog.js';
import { requestTracing } from './requestTracing.js';
import { Resources } from './resources.js';
import { ServerDrain } from './ServerDrain.js';
import type { ListeningAddress, ListenOptions, Service, ServiceOptions } from './service.js';
import type { SelfRegistration } from '../discovery/self-registration.js';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const SIGNALS = ['SIGTERM', 'SIGINT'] as const;

/**
 * Builds a service: validated configuration, logger, metrics registry, and
 * an express app already wired with request ids, request logs, HTTP
 * metrics, caller verification, JSON body parsing, `/health`, `/ready`,
 * `/metrics` and problem+json errors. Add routes to `service.app`, then
 * `listen()`.
 *
 * Every route answers only callers it can verify: the gateway's signed
 * identity (`GATEWAY_IDENTITY_SECRET`) or a service token minted for this
 * service (`MSX_SERVICE_TOKEN_SECRET`); others get 401. Routes msx.yaml
 * marks `open` (passed in `MSX_OPEN_ROUTES`) serve anyone. The probes stay
 * open for orchestrators and Prometheus.
 *
 * @throws ConfigError when the environment is invalid; run the service
 *   inside `runService` to turn it into one line on stderr and exit 78.
 */
export function createService<S extends ConfigShape = {}>(options: ServiceOptions<S>): Service<ServiceConfig<S>> {
  const { name } = options;
  if (!DNS_LABEL.test(name)) {
    throw new TypeError(`createService: name must be a DNS-1123 label (lowercase letters, digits, '-'), got ${JSON.stringify(name)}`);
  }
  const config = loadConfig({
    service: name,
    extra: options.config,
    bodyLimit: options.bodyLimit ?? '1mb',
    env: options.env ?? process.env,
  });
  const env = options.env ?? process.env;
  const verifyCaller = callerCheck(name, env);
  const log = createLogger({ service: name, instance: config.MSX_INSTANCE, level: config.LOG_LEVEL, destination: options.logDestination });

  const registry = new Registry();
  registry.setDefaultLabels({ service: name });
  collectDefaultMetrics({ register: registry });

  const readiness = new Readiness();
  const resources = new Resources();

  // Tracing turns itself on from OTEL_EXPORTER_OTLP_ENDPOINT; loading the
  // SDK is asynchronous, so listen() waits for it, and it is registered as
  // the first resource so it closes last, flushing the spans of shutdown.
  const tracingReady: Promise<Tracing> = initTracing({ service: name, instance: config.MSX_INSTANCE, env: options.env ?? process.env });
  tracingReady.catch(() => {}); // reported by listen()
  resources.add('tracing', async () => (await tracingReady.catch(() => undefined))?.shutdown());

  // Routes live on their own app, mounted inside the kit's app: whatever
  // order the user adds routes in, the kit's middleware runs first and its
  // 404 and error handling last.
  const app = express();
  app.disable('x-powered-by');
  const probeRouter = probes(readiness, registry);
  const root = express();
  root.disable('x-powered-by');
  root.use(requestTracing(name));
  root.use(requestContext(log));
  root.use(probeRouter);
  root.use(adminRoutes(name, registry, env));
  root.use(requestLog(), httpMetrics(registry));
  root.use(verifyCaller);
  if (options.parseJsonBody !== false) root.use(express.json({ limit: config.BODY_LIMIT }));
  root.use(app);
  root.use(notFound(() => [probeRouter, app.router]));
  root.use(problemHandler());

  let server: Server | undefined;
  let drain: ServerDrain | undefined;
  let closing: Promise<void> | undefined;
  let registration: SelfRegistration | undefined;
  const signalHandlers = new Map<NodeJS.Signals, () => void>();

  function removeSignalHandlers(): void {
    for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
    signalHandlers.clear();
  }

  function installSignalHandlers(): void {
    for (const signal of SIGNALS) {
      const handler = (): void => {
        if (closing !== undefined) {
          log.warn({ signal }, 'second signal during shutdown; exiting now');
          process.exit(128 + (osConstants.signals[signal] ?? 1));
        }
        log.info({ signal }, 'signal received; shutting down');
        closing ??= shutdown('signal');
        closing.then(
          () => process.exit(0),
          (error: unknown) => {
            log.error({ err: error }, 'shutdown finished with errors');
            process.exit(1);
          },
        );
      };
      signalHandlers.set(signal, handler);
      process.on(signal, handler);
    }
  }

  /** Readiness 503 at once; then, while still accepting, out of discovery; then the drain. */
  async function shutdown(trigger: 'signal' | 'code'): Promise<void> {
    readiness.markShuttingDown();
    log.info({ inFlight: drain?.inFlight ?? 0 }, 'shutting down');
    // Out of Consul before the delay, so callers stop choosing this instance while it still answers them.
    await registration?.deregister();
    const delayMs = config.SHUTDOWN_DELAY_MS ?? (trigger === 'signal' ? DEFAULT_SIGNAL_SHUTDOWN_DELAY_MS : 0);
    if (drain !== undefined && delayMs > 0) {
      const started = Date.now();
      // Under `msx up` the supervisor drops this instance from its registry now and says how long readers need to notice.
      const asked = await announceDraining(delayMs);
      const remaining = Math.max(0, Math.min(asked ?? delayMs, delayMs) - (Date.now() - started));
      if (remaining > 0) {
        log.info({ delayMs: remaining, supervisor: asked !== undefined }, 'not ready; still accepting connections until the delay ends');
        await new Promise((resolve) => setTimeout(resolve, remaining));
      }
    }
    if (drain !== undefined) {
      const { abandoned } = await drain.drain(config.SHUTDOWN_TIMEOUT_MS);
      if (abandoned > 0) log.warn({ abandoned, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutdown timeout: cut requests still in flight');
      else log.info('server closed; all requests finished');
    }
    const failures = await resources.closeAll(config.SHUTDOWN_TIMEOUT_MS, log);
    removeSignalHandlers();
    if (failures.length > 0) throw new ShutdownError(name, failures);
    log.info('stopped');
  }

  const service: Service<ServiceConfig<S>> = {
    name,
    config,
    app,
    log,
    metrics: { registry },
    readiness,
    get server() {
      return server;
    },
    get closing() {
      return closing !== undefined;
    },
    onClose(resource, close) {
      resources.add(resource, close);
    },
    async listen(listenOptions) {
      if (server !== undefined) throw new Error(`${name}: listen() was already called`);
      if (closing !== undefined) throw new Error(`${name}: cannot listen after close()`);
      await tracingReady;
      const opts: ListenOptions = typeof listenOptions === 'number' ? { port: listenOptions } : (listenOptions ?? {});
      const host = opts.host ?? config.HOST;
      const port = opts.port ?? config.PORT;
      if (port === undefined) {
        throw new ConfigError(name, [{ variable: 'PORT', problem: 'is not set: start the system with `msx up`, or set PORT to the port to listen on', received: undefined }]);
      }
      const candidate = createServer(root);
      const address = await new Promise<ListeningAddress>((resolve, reject) => {
        candidate.once('error', (error: NodeJS.ErrnoException) => reject(new ListenError(name, host, port, error)));
        candidate.listen(port, host, () => {
          const bound = candidate.address();
          const boundPort = typeof bound === 'object' && bound !== null ? bound.port : port;
          const urlHost = host.includes(':') ? `[${host}]` : host;
          resolve({ url: `http://${urlHost}:${boundPort}`, host, port: boundPort });
        });
      });
      server = candidate;
      drain = new ServerDrain(candidate);
      if (env.MSX_DISCOVERY?.trim() === 'consul') {
        // Loaded only here: a service under any other discovery never pays for the Consul client.
        const { registerSelf } = await import('../discovery/self-registration.js');
        try {
          registration = await registerSelf({ service: name, host, port: address.port, env, log, ready: async () => (await readiness.report()).status === 'ready' });
        } catch (error) {
          await new Promise((resolve) => candidate.close(resolve));
          server = undefined;
          drain = undefined;
          // A setting msx cannot use (MSX_CONSUL_URL, MSX_CONSUL_RESYNC_MS) is the environment's fault, not the agent's.
          const misconfigured = isDiscoveryError(error) && error.code === 'DISCOVERY_CONFIG_INVALID';
          throw new StartupError(name, `${name}: could not register with Consul: ${error instanceof Error ? error.message : String(error)}`, misconfigured ? STARTUP_EXIT_CODES.config : STARTUP_EXIT_CODES.dependencyUnavailable, { cause: error });
        }
      }
      if (opts.handleSignals !== false) installSignalHandlers();
      log.info({ url: address.url }, 'listening');
      announceListening();
      return address;
    },
    close() {
      closing ??= shutdown('code');
      return closing;
    },
  };
  return service;
}
