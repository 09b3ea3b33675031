import bytes from 'bytes';
import { z } from 'zod';
import { instanceName } from '../config/instance-name.js';
import { ConfigError, type ConfigIssue } from './errors/ConfigError.js';

/** pino's level names; `silent` turns logging off. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A zod object shape whose keys are environment variable names. */
export type ConfigShape = z.ZodRawShape;

/** Configuration every service reads from its environment. */
export interface BaseConfig {
  /**
   * `PORT`, no default: the target that runs the service decides it (`msx up`
   * gives every instance the port msx.yaml says), so a port baked into a
   * service's code can never disagree with the manifest. `listen()` without
   * a port and without `PORT` is a ConfigError.
   */
  readonly PORT: number | undefined;
  /** `HOST`, default `127.0.0.1`: a service is reachable from outside only when its deployment says so (`0.0.0.0` in containers). */
  readonly HOST: string;
  /** `LOG_LEVEL`, default `info`. */
  readonly LOG_LEVEL: LogLevel;
  /** `SHUTDOWN_TIMEOUT_MS`, default 10000: how long in-flight requests may run after SIGTERM before their sockets are destroyed. */
  readonly SHUTDOWN_TIMEOUT_MS: number;
  /**
   * `SHUTDOWN_DELAY_MS`, at most 60000: how long to keep accepting
   * connections (answering `/ready` with 503) once shutdown began, before
   * the server stops accepting, so discovery and load balancers drop the
   * instance first (Kubernetes endpoints, compose's DNS, msx's registry).
   * Unset: 3000 ms after SIGTERM/SIGINT, none for `close()` called by code
   * (tests, embedding). Under `msx up` the supervisor takes the instance out
   * of its registry when told and says how much of the delay is still
   * needed (see `drainNotice.ts`).
   */
  readonly SHUTDOWN_DELAY_MS: number | undefined;
  /** `MSX_INSTANCE`, default `<name>-<pid>`: tells replicas of one service apart in logs and metrics; `{hostname}` in it is the host's name (see `instanceName`). */
  readonly MSX_INSTANCE: string;
  /** `BODY_LIMIT`, default the `bodyLimit` option or `1mb`: largest JSON body accepted, in `bytes` notation (`100kb`, `1mb`). */
  readonly BODY_LIMIT: string;
}

/** The typed configuration of a service: the base variables plus the service's own. */
export type ServiceConfig<S extends ConfigShape> = keyof S extends never ? BaseConfig : BaseConfig & z.output<z.ZodObject<S>>;

export interface ConfigSource<S extends ConfigShape> {
  readonly service: string;
  readonly extra: S | undefined;
  readonly bodyLimit: string;
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** Upper bound of `SHUTDOWN_DELAY_MS`: longer would only hold a stopping instance's port and resources. */
export const MAX_SHUTDOWN_DELAY_MS = 60_000;

/** The drain delay after SIGTERM/SIGINT when `SHUTDOWN_DELAY_MS` is unset: long enough for discovery to drop the instance. */
export const DEFAULT_SIGNAL_SHUTDOWN_DELAY_MS = 3000;

/** Names whose values never appear in errors or logs. */
export const SECRET_NAME = /SECRET|PASSWORD|PASSWD|TOKEN|KEY|CREDENTIAL|PRIVATE/i;

function baseShape(service: string, bodyLimit: string) {
  return {
    PORT: z
      .string()
      .regex(/^\d{1,5}$/, { error: 'must be an integer 0-65535' })
      .transform(Number)
      .refine((n) => n <= 65535, { error: 'must be an integer 0-65535' })
      .optional(),
    HOST: z.string().min(1).default('127.0.0.1'),
    LOG_LEVEL: z.enum(LOG_LEVELS, { error: `must be one of ${LOG_LEVELS.join(', ')}` }).default('info'),
    SHUTDOWN_TIMEOUT_MS: z
      .string()
      .regex(/^\d{1,10}$/, { error: 'must be a whole number of milliseconds' })
      .transform(Number)
      .refine((n) => n <= 2_147_483_647, { error: 'must be at most 2147483647 milliseconds' })
      .default(10_000),
    SHUTDOWN_DELAY_MS: z
      .string()
      .regex(/^\d{1,10}$/, { error: 'must be a whole number of milliseconds' })
      .transform(Number)
      .refine((n) => n <= MAX_SHUTDOWN_DELAY_MS, { error: `must be at most ${MAX_SHUTDOWN_DELAY_MS} milliseconds (a drain delay is seconds, not minutes)` })
      .optional(),
    MSX_INSTANCE: z.string().optional().transform((value) => instanceName(service, value)),
    BODY_LIMIT: z
      .string()
      .refine((v) => (bytes.parse(v) ?? 0) > 0, { error: 'must be a positive size such as 100kb or 1mb' })
      .default(bodyLimit),
  };
}

/**
 * Reads and validates the service's configuration from `env`, all at once,
 * so that one start-up reports every bad variable. An empty string counts
 * as unset (compose files often pass `VAR=` for "not configured").
 *
 * @throws ConfigError naming each variable that is missing or invalid.
 */
export function loadConfig<S extends ConfigShape>(source: ConfigSource<S>): ServiceConfig<S> {
  const shape = { ...baseShape(source.service, source.bodyLimit), ...(source.extra ?? {}) };
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(shape)) {
    const value = source.env[key];
    raw[key] = value === '' ? undefined : value;
  }
  const result = z.object(shape).safeParse(raw, { error: describeProblem });
  if (result.success) return result.data as ServiceConfig<S>;

  throw new ConfigError(source.service, configIssues(result.error, raw));
}

/**
 * One issue per setting zod refused (its first problem), as ConfigError
 * reports them: "is required" when it had no value, the value itself unless
 * its name says it is a secret, and where it came from when `sourceOf` says.
 */
export function configIssues(error: z.ZodError, raw: Readonly<Record<string, string | undefined>>, sourceOf?: (key: string, value: string | undefined) => string): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const seen = new Set<string>();
  for (const issue of error.issues) {
    const variable = String(issue.path[0] ?? '(config)');
    if (seen.has(variable)) continue;
    seen.add(variable);
    const value = raw[variable];
    issues.push({
      variable,
      problem: value === undefined ? 'is required' : issue.message,
      received: value === undefined ? undefined : SECRET_NAME.test(variable) ? '(redacted)' : value,
      ...(sourceOf ? { source: sourceOf(variable, value) } : {}),
    });
  }
  return issues;
}

/**
 * Phrases zod's issues as "must …" so the one-line error reads naturally
 * after the variable name. Schema-level messages take precedence over this.
 */
export function describeProblem(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected === 'number' || issue.expected === 'int' ? 'a number' : `a ${issue.expected}`}`;
    case 'invalid_value':
      return `must be one of ${issue.values.map((v) => String(v)).join(', ')}`;
    case 'invalid_format':
      return `must be a valid ${issue.format}`;
    // An exclusive bound (`positive()`, `gt(0)`) is not "at least": 0 itself is refused too.
    case 'too_small':
      if (issue.inclusive === false && issue.origin !== 'string') return `must be greater than ${String(issue.minimum)}`;
      return `must be at least ${String(issue.minimum)}${issue.origin === 'string' ? ' characters long' : ''}`;
    case 'too_big':
      if (issue.inclusive === false && issue.origin !== 'string') return `must be less than ${String(issue.maximum)}`;
      return `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters long' : ''}`;
    default:
      return undefined;
  }
}
