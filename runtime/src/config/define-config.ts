import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { configIssues, describeProblem } from '../service/config.js';
import { ConfigError, type ConfigIssue } from '../service/errors/ConfigError.js';
import { STARTUP_EXIT_CODES } from '../service/errors/exitCodes.js';
import { StartupError } from '../service/errors/StartupError.js';
import { ConsulKv, type KvPrefixWatch, type KvValues } from './consul-kv.js';
import { configSourceFromEnvironment, type ConfigSourceKind } from './config-source.js';

/** A zod object shape whose keys are setting names (`MAX_ITEMS`), read as strings like environment variables. */
export type SettingsShape = z.ZodRawShape;
export type Settings<S extends SettingsShape> = z.output<z.ZodObject<S>>;

/**
 * Where one setting's current value came from: the process environment, one
 * of the four Consul key layers (the service's or every service's, for the
 * system's environment of msx.yaml or for all of them), or the default.
 */
export type SettingOrigin = 'environment' | 'consul-environment-service' | 'consul-service' | 'consul-environment-shared' | 'consul-shared' | 'default';

type ConsulOrigin = Exclude<SettingOrigin, 'environment' | 'default'>;

/** One Consul prefix the settings are read from, in precedence order. */
interface KvLayer {
  readonly origin: ConsulOrigin;
  /** `msx/demo/users/`, ending in a slash. */
  readonly path: string;
  values: KvValues;
}

/**
 * The KV prefixes of one service, most specific first. The service's own
 * keys win over the shared ones (as the environment wins over both), and
 * within each, the keys of the environment it runs in (`--env staging`,
 * `MSX_ENVIRONMENT`) over those of every environment. Environments live
 * under `_env/` because a service may be named like an environment; no
 * service name starts with `_`.
 */
function kvLayers(prefix: string, service: string, environment: string | undefined): KvLayer[] {
  const layers: KvLayer[] = [];
  const environmentPrefix = environment === undefined ? undefined : `${prefix}_env/${environment}/`;
  if (environmentPrefix !== undefined) layers.push({ origin: 'consul-environment-service', path: `${environmentPrefix}${service}/`, values: new Map() });
  layers.push({ origin: 'consul-service', path: `${prefix}${service}/`, values: new Map() });
  if (environmentPrefix !== undefined) layers.push({ origin: 'consul-environment-shared', path: `${environmentPrefix}_shared/`, values: new Map() });
  layers.push({ origin: 'consul-shared', path: `${prefix}_shared/`, values: new Map() });
  return layers;
}

/** msx.yaml's environment names are DNS labels. */
const ENVIRONMENT_NAME = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** What a service passes for its logs and shutdown; a `Service` from `createService` fits. */
export interface ConfigOwner {
  readonly name: string;
  readonly log: { warn(object: object, message: string): void; info(object: object, message: string): void };
  onClose(name: string, close: () => unknown): void;
}

export interface LoadSettingsOptions {
  /** The service (a `Service`, whose log and shutdown the configuration joins) or its name. Default env `MSX_SERVICE`. */
  readonly service?: ConfigOwner | string;
  /** Default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** The Consul agent's URL. Default env `MSX_CONSUL_URL`, else `http://127.0.0.1:8500`. */
  readonly consulUrl?: string;
  /** ACL token. Default env `MSX_CONSUL_TOKEN`. */
  readonly consulToken?: string;
  /** Root of the system's keys. Default env `MSX_CONFIG_PREFIX`, else `msx/<MSX_SYSTEM>`. */
  readonly prefix?: string;
  /** Longest blocking query (Consul duration). Default `5m`, Consul's own maximum wait. */
  readonly wait?: string;
  /** First retry delay after a failed query, ms (doubling up to `backoffMaxMs`). Default 200. */
  readonly backoffMs?: number;
  /** Default 30000. */
  readonly backoffMaxMs?: number;
}

export interface LiveSettings<S extends SettingsShape> {
  /** The current values: read them where used, not once at start, and a change in Consul applies. */
  readonly values: Readonly<Settings<S>>;
  /** `environment` or `consul`. */
  readonly source: ConfigSourceKind;
  /** Where a setting's current value came from. */
  origin(key: keyof S & string): SettingOrigin;
  /** Called after values changed in Consul and validated; returns the unsubscribe function. */
  onChange(listener: (values: Readonly<Settings<S>>, changed: readonly (keyof S & string)[]) => void): () => void;
  /** Ends the watch (aborting its query in flight). `Service.close` calls it when the service was given. */
  close(): Promise<void>;
}

export interface ConfigDefinition<S extends SettingsShape> {
  readonly shape: S;
  /**
   * Reads and validates the settings once, from the environment and, where
   * configuration comes from Consul, the KV store; then keeps them current.
   *
   * @throws ConfigError (exit 78) naming each bad key and where its value came from.
   * @throws StartupError (exit 69) when Consul cannot be read at start.
   */
  load(options?: LoadSettingsOptions): Promise<LiveSettings<S>>;
}

interface Candidate {
  readonly value: string | undefined;
  readonly origin: SettingOrigin;
}

/**
 * Declares a service's own settings once, with zod, and where they come
 * from is the deployment's business: the environment always; with Consul
 * (`MSX_CONFIG=consul`, or `MSX_DISCOVERY=consul` unless `MSX_CONFIG=environment`)
 * also the KV keys `<prefix>/<service>/<KEY>` and, for what every service
 * shares, `<prefix>/_shared/<KEY>`; in an environment of msx.yaml
 * (`MSX_ENVIRONMENT`, set by `--env`), first `<prefix>/_env/<env>/<service>/<KEY>`
 * and `<prefix>/_env/<env>/_shared/<KEY>` before each of those.
 *
 * The environment wins over Consul, and the service's key over the shared
 * one: the more specific and the more visible source decides. An
 * environment variable is set for this one process by whoever started it
 * (a compose file, a test, `KEY=… msx up`), and is where an operator pins a
 * value while the centre holds the rest; a KV entry meant for all instances
 * must not silently undo it. A setting pinned by the environment ignores
 * its KV key, changes included.
 *
 * @example
 * const settings = defineConfig({ MAX_ITEMS: z.coerce.number().int().positive().default(100) });
 * const config = await settings.load({ service });
 * if (items.size >= config.values.MAX_ITEMS) throw problems.conflict('full');
 */
export function defineConfig<S extends SettingsShape>(shape: S): ConfigDefinition<S> {
  const schema = z.object(shape);
  const keys = Object.keys(shape) as (keyof S & string)[];
  return {
    shape,
    async load(options: LoadSettingsOptions = {}): Promise<LiveSettings<S>> {
      const env = options.env ?? process.env;
      const owner = typeof options.service === 'object' ? options.service : undefined;
      const service = owner?.name ?? (typeof options.service === 'string' ? options.service : env.MSX_SERVICE);
      if (!service) throw new ConfigError('(service)', [{ variable: 'MSX_SERVICE', problem: 'is required to read configuration', received: undefined }]);
      const source = configSourceFromEnvironment(service, env);
      const fromEnv = (key: string): string | undefined => (env[key] === '' ? undefined : env[key]);

      let layers: KvLayer[] = [];
      const pick = (key: string): Candidate => {
        const inEnv = fromEnv(key);
        if (inEnv !== undefined) return { value: inEnv, origin: 'environment' };
        for (const layer of layers) if (layer.values.has(key)) return { value: layer.values.get(key), origin: layer.origin };
        return { value: undefined, origin: 'default' };
      };

      const describeOrigin = (key: string, origin: SettingOrigin): string => {
        if (origin === 'environment') return 'the environment';
        const layer = layers.find((l) => l.origin === origin);
        return layer === undefined ? 'the default' : `Consul key ${layer.path}${key}`;
      };

      const evaluate = (): { values: Settings<S>; origins: Map<string, SettingOrigin> } => {
        const raw: Record<string, string | undefined> = {};
        const origins = new Map<string, SettingOrigin>();
        for (const key of keys) {
          const candidate = pick(key);
          raw[key] = candidate.value;
          origins.set(key, candidate.origin);
        }
        const result = schema.safeParse(raw, { error: describeProblem });
        if (result.success) return { values: result.data, origins };
        // A missing key names every place it was looked for; a bad one, where its value came from.
        throw new ConfigError(service, configIssues(result.error, raw, (key, value) =>
          value === undefined
            ? source.kind === 'consul'
              ? `the environment or Consul keys ${layers.map((l) => `${l.path}${key}`).join(', ')}`
              : 'the environment'
            : describeOrigin(key, origins.get(key) ?? 'default')));
      };

      const events = new EventEmitter();
      let current = source.kind === 'environment' ? evaluate() : undefined;
      let kv: ConsulKv | undefined;
      const watches: KvPrefixWatch[] = [];
      let closed = false;

      if (source.kind === 'consul') {
        const root = options.prefix ?? env.MSX_CONFIG_PREFIX ?? (env.MSX_SYSTEM ? `msx/${env.MSX_SYSTEM}` : undefined);
        if (!root) {
          throw new ConfigError(service, [{ variable: 'MSX_SYSTEM', problem: 'is required to find the configuration in Consul (or set MSX_CONFIG_PREFIX)', received: undefined }]);
        }
        const prefix = root.endsWith('/') ? root : `${root}/`;
        const environment = env.MSX_ENVIRONMENT?.trim() || undefined;
        if (environment !== undefined && !ENVIRONMENT_NAME.test(environment)) {
          throw new ConfigError(service, [{ variable: 'MSX_ENVIRONMENT', problem: 'must be an environment name of msx.yaml (a DNS label: lower case letters, digits and dashes)', received: environment }]);
        }
        layers = kvLayers(prefix, service, environment);
        const rawUrl = options.consulUrl ?? env.MSX_CONSUL_URL ?? 'http://127.0.0.1:8500';
        let url: URL;
        try {
          url = new URL(rawUrl);
          if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error('not http(s)');
        } catch {
          throw new ConfigError(service, [{ variable: 'MSX_CONSUL_URL', problem: "must be the Consul agent's http(s) URL", received: rawUrl }]);
        }
        kv = new ConsulKv({
          url,
          token: options.consulToken ?? env.MSX_CONSUL_TOKEN,
          wait: options.wait ?? '5m',
          backoffMs: options.backoffMs ?? 200,
          backoffMaxMs: options.backoffMaxMs ?? 30_000,
        });
        const layerWatches = layers.map((layer) => kv!.watch(layer.path));
        watches.push(...layerWatches);
        const end = async () => {
          for (const w of watches) w.end();
          await kv?.close();
        };
        try {
          const firsts = await Promise.all(layerWatches.map((w) => w.first));
          firsts.forEach((values, i) => (layers[i]!.values = values));
        } catch (cause) {
          await end();
          throw new StartupError(
            service,
            `${service}: configuration unavailable: could not read Consul KV ${prefix} at ${url.origin}: ${cause instanceof Error ? cause.message : String(cause)}`,
            STARTUP_EXIT_CODES.dependencyUnavailable,
            { cause },
          );
        }
        try {
          current = evaluate();
        } catch (error) {
          await end();
          throw error;
        }

        const log = owner?.log;
        const reapply = () => {
          if (closed || !current) return;
          let next: ReturnType<typeof evaluate>;
          try {
            next = evaluate();
          } catch (error) {
            // A bad value put while running must not take a serving instance down: it keeps the last good ones.
            log?.warn({ err: error }, 'configuration change rejected, keeping the last good values');
            return;
          }
          const before = current.values as Record<string, unknown>;
          const after = next.values as Record<string, unknown>;
          const changed = keys.filter((key) => JSON.stringify(after[key]) !== JSON.stringify(before[key]));
          current = next;
          if (changed.length === 0) return;
          log?.info({ changed }, 'configuration changed');
          events.emit('change', current.values, changed);
        };
        layers.forEach((layer, i) => {
          const watch = layerWatches[i]!;
          watch.onChange((values) => {
            layer.values = values;
            reapply();
          });
          watch.onError((error) => log?.warn({ err: error, prefix: layer.path }, 'Consul KV unreachable, keeping the last good configuration'));
          watch.onRecover(() => log?.info({ prefix: layer.path }, 'Consul KV reachable again'));
        });
      }

      const settings: LiveSettings<S> = {
        get values() {
          return current!.values;
        },
        source: source.kind,
        origin: (key) => current!.origins.get(key) ?? 'default',
        onChange(listener) {
          const wrapped = (values: Readonly<Settings<S>>, changed: readonly (keyof S & string)[]) => {
            try {
              listener(values, changed);
            } catch (error) {
              owner?.log.warn({ err: error }, 'configuration change listener failed');
            }
          };
          events.on('change', wrapped);
          return () => void events.off('change', wrapped);
        },
        async close() {
          if (closed) return;
          closed = true;
          events.removeAllListeners();
          for (const w of watches) w.end();
          await kv?.close();
        },
      };
      owner?.onClose('configuration', () => settings.close());
      return settings;
    },
  };
}
