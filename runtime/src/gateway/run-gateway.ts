/**
 * `runGateway`: the entry point of a generated gateway. It joins what msx
 * derived from msx.yaml (routes, auth, rate limits, CORS, where services
 * listen by default) with what only the environment may say (secrets, the
 * port, Redis, the discovery backend), and starts the gateway with signal
 * handling. A configuration mistake stops it with one line, exit code 78.
 *
 * What msx.yaml says reaches the gateway in one of two ways: compiled in
 * (`src/gateway.generated.ts`, for `npm start` and tests), or handed over at
 * start in `MSX_GATEWAY_CONFIG` (JSON of the same shape), which wins. msx up
 * and the container targets always hand it over, derived from msx.yaml as it
 * is at that moment, so an edited route takes effect on the next start
 * without a rebuild.
 */
import type { UserTokenAlgorithm } from '../auth/user-token.js';
import { discoveryFromEnvironment } from '../discovery/from-environment.js';
import type { Discovery } from '../discovery/discovery.js';
import { ListenError } from '../service/errors/ListenError.js';
import { startupFailureReport } from '../service/errors/startupFailure.js';
import { StartupError } from '../service/errors/StartupError.js';
import { announceListening, passStartGate } from '../service/startGate.js';
import { watchSupervisor } from '../service/supervisorWatch.js';
import type { CorsOptions } from './cors.js';
import { createGateway, type Gateway } from './gateway.js';
import type { RateLimitGroup } from './rate-limit.js';
import type { RouteSpec } from './route-table.js';

/** Exit code for configuration errors (sysexits EX_CONFIG), as services use. */
const EX_CONFIG = 78;

/** What `msx` writes into a gateway's `src/gateway.generated.ts`. */
export interface GeneratedGatewayConfig {
  readonly name: string;
  /** Port from msx.yaml; `PORT` overrides it (and `JWT_JWKS_URL` overrides `auth.jwksUrl`). */
  readonly port: number;
  readonly routes: readonly RouteSpec[];
  readonly auth: {
    readonly algorithms: readonly UserTokenAlgorithm[];
    readonly issuer?: string;
    readonly audience?: string;
    readonly jwksUrl?: string;
    readonly clockToleranceSec?: number;
    /** Longest token lifetime accepted (`iat` required, `exp - iat` at most this). */
    readonly maxTokenAgeSec?: number;
  };
  readonly rateLimits: Readonly<Record<string, RateLimitGroup>>;
  readonly cors: { readonly origins: readonly string[]; readonly credentials?: boolean };
  /** Time a client has to send a request's headers, ms (msx.yaml's `headersTimeout`). Default: the gateway's, 10,000. */
  readonly headersTimeoutMs?: number;
  /**
   * Where each service listens when nothing else says: the ports of
   * msx.yaml on 127.0.0.1. `MSX_SERVICE_<NAME>_URLS` overrides one service;
   * `MSX_DISCOVERY` (local, dns, consul, …) replaces them all.
   */
  readonly services: Readonly<Record<string, string>>;
}

/** Builds the gateway from generated config and the environment, without listening. */
export function createGatewayFromConfig(config: GeneratedGatewayConfig, env: NodeJS.ProcessEnv = process.env): Gateway {
  const fail = (message: string): never => {
    throw new StartupError(config.name, `${config.name}: invalid configuration: ${message}`, EX_CONFIG);
  };
  const hmac = config.auth.algorithms.includes('HS256');
  const secret = env.JWT_SECRET;
  if (hmac && (!secret || secret.length < 32)) {
    fail('JWT_SECRET must be set to the system\'s signing secret (at least 32 characters); msx new generates it into .env');
  }
  // The identity provider's key set may differ per environment (a staging IdP, a local one): JWT_JWKS_URL overrides msx.yaml's.
  const jwksUrl = env.JWT_JWKS_URL || config.auth.jwksUrl;
  if (jwksUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(jwksUrl)) {
    fail(`${env.JWT_JWKS_URL ? 'JWT_JWKS_URL' : 'auth.jwksUrl'} must be an http(s) URL of the identity provider's key set, got ${JSON.stringify(jwksUrl)}`);
  }
  let discovery: Discovery;
  try {
    discovery = discoveryFromEnvironment(config.services, env);
  } catch (error) {
    return fail((error as Error).message);
  }
  const cors: CorsOptions | undefined = config.cors.origins.length > 0 ? { origins: config.cors.origins, credentials: config.cors.credentials } : undefined;
  try {
    return createGateway({
      name: config.name,
      routes: config.routes,
      discovery,
      auth: {
        algorithms: config.auth.algorithms,
        ...(hmac ? { secret } : {}),
        ...(jwksUrl ? { jwksUrl } : {}),
        ...(env.JWT_PUBLIC_KEY ? { publicKey: env.JWT_PUBLIC_KEY } : {}),
        ...(config.auth.issuer ? { issuer: config.auth.issuer } : {}),
        ...(config.auth.audience ? { audience: config.auth.audience } : {}),
        clockToleranceSec: config.auth.clockToleranceSec ?? 30,
        ...(config.auth.maxTokenAgeSec !== undefined ? { maxTokenAgeSec: config.auth.maxTokenAgeSec } : {}),
      },
      identitySecret: env.GATEWAY_IDENTITY_SECRET,
      rateLimits: config.rateLimits,
      ...(env.REDIS_URL ? { rateLimitStore: { redisUrl: env.REDIS_URL } } : {}),
      ...(cors ? { cors } : {}),
      ...(config.headersTimeoutMs !== undefined ? { headersTimeoutMs: config.headersTimeoutMs } : {}),
    });
  } catch (error) {
    return fail((error as Error).message);
  }
}

/** The environment variable through which msx hands the gateway its configuration at start. */
export const GATEWAY_CONFIG_ENV = 'MSX_GATEWAY_CONFIG';

/**
 * The configuration to run: `MSX_GATEWAY_CONFIG` when set (what msx derived
 * from msx.yaml just now), else the compiled one. A value that is not a JSON
 * object of the expected shape is a configuration error, never silently
 * replaced by the compiled routes.
 */
export function effectiveGatewayConfig(compiled: GeneratedGatewayConfig, env: NodeJS.ProcessEnv = process.env): GeneratedGatewayConfig {
  const text = env[GATEWAY_CONFIG_ENV];
  if (text === undefined || text === '') return compiled;
  const fail = (why: string): never => {
    throw new StartupError(compiled.name, `${compiled.name}: invalid configuration: ${GATEWAY_CONFIG_ENV} ${why}`, EX_CONFIG);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`is not JSON (${(error as Error).message})`);
  }
  const candidate = parsed as Partial<GeneratedGatewayConfig> | null;
  if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) return fail('must be a JSON object');
  if (typeof candidate.name !== 'string' || !Number.isInteger(candidate.port) || !Array.isArray(candidate.routes)
    || typeof candidate.auth !== 'object' || candidate.auth === null || !Array.isArray(candidate.auth.algorithms)
    || typeof candidate.rateLimits !== 'object' || typeof candidate.cors !== 'object' || typeof candidate.services !== 'object') {
    return fail('must have name, port, routes, auth.algorithms, rateLimits, cors and services (as msx writes it)');
  }
  return candidate as GeneratedGatewayConfig;
}

/**
 * Starts the gateway as the process's entry point: listens on `PORT`
 * (default: the port msx.yaml gives it) and `HOST` (default 127.0.0.1), and
 * shuts down gracefully on SIGTERM/SIGINT.
 */
export async function runGateway(compiled: GeneratedGatewayConfig, env: NodeJS.ProcessEnv = process.env): Promise<Gateway> {
  watchSupervisor(env);
  // Under msx up: loaded beside the services, started once they are ready (the gateway routes to them).
  await passStartGate(env);
  let config = compiled;
  try {
    config = effectiveGatewayConfig(compiled, env);
    const gateway = createGatewayFromConfig(config, env);
    const port = env.PORT === undefined || env.PORT === '' ? config.port : Number(env.PORT);
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new StartupError(config.name, `${config.name}: invalid configuration: PORT must be an integer 0-65535, got ${JSON.stringify(env.PORT)}`, EX_CONFIG);
    }
    const host = env.HOST || '127.0.0.1';
    try {
      await gateway.listen({ port, host });
      announceListening();
    } catch (error) {
      if (isErrno(error) && error.syscall === 'listen') throw new ListenError(config.name, host, port, error);
      throw error;
    }
    return gateway;
  } catch (error) {
    const report = startupFailureReport(error, `${config.name}: `);
    process.stderr.write(`${report.text}\n`);
    process.exit(report.exitCode);
  }
}

function isErrno(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).code === 'string';
}
