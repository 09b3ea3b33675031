/**
 * A service announcing itself where discovery needs it to. Of the backends,
 * only Consul learns of instances from the instances themselves: the local
 * registry is written by the `msx up` supervisor, DNS by compose or
 * Kubernetes, static lists by whoever set them. So under
 * `MSX_DISCOVERY=consul` the service kit registers each instance once it
 * listens (with an HTTP check on its `/ready`, so Consul drops one that
 * stops answering; the check starts `passing` when the instance is ready as
 * it registers, else Consul would hide it until its first poll, up to an
 * interval later) and deregisters it first thing when it shuts down, before
 * the drain delay, so callers stop picking it while it still serves them.
 *
 * Consul removes an instance whose check stayed critical for
 * `DeregisterCriticalServiceAfter` (1 minute), and never brings it back by
 * itself: one that was slow to get ready, or cut off from its agent for a
 * while, would be invisible for the rest of its life. So every
 * `MSX_CONSUL_RESYNC_MS` (30 s) the instance asks the agent whether it still
 * holds the registration, and registers again when it does not.
 *
 * `MSX_DISCOVERY_REGISTER=false` leaves registration to something else (the
 * catalog sync of consul-k8s, say).
 */
import { networkInterfaces } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { createConsulDiscovery, type ConsulDiscovery } from './consul.js';
import { DiscoveryError } from './discovery-error.js';

export interface SelfRegistration {
  /** The instance id Consul knows this process by. */
  readonly id: string;
  /** Takes the instance out of Consul; never throws (a shutdown must go on). */
  deregister(): Promise<void>;
}

export interface SelfRegistrationInput {
  readonly service: string;
  /** The address the server is bound to (`HOST`). */
  readonly host: string;
  readonly port: number;
  readonly env: NodeJS.ProcessEnv;
  /** Whether the instance is ready now (its /ready would answer 200): Consul then lists it at once, not after its first poll. */
  readonly ready: () => Promise<boolean>;
  readonly log: { warn(object: object, message: string): void; info(object: object, message: string): void };
}

const ATTEMPTS = 3;
const DEFAULT_RESYNC_MS = 30_000;

function resyncMs(env: NodeJS.ProcessEnv): number {
  const given = env.MSX_CONSUL_RESYNC_MS?.trim();
  if (given === undefined || given === '') return DEFAULT_RESYNC_MS;
  const ms = Number(given);
  if (!Number.isInteger(ms) || ms < 0) {
    throw new DiscoveryError('DISCOVERY_CONFIG_INVALID', `Expected MSX_CONSUL_RESYNC_MS to be a whole number of milliseconds (0 turns the check off), got ${JSON.stringify(given)}`);
  }
  return ms;
}

/**
 * Registers this instance when discovery is Consul; undefined otherwise.
 * Retries a refused or failing agent a few times (an agent restarting
 * beside the service), then throws the discovery error: an instance no
 * caller can find is not started.
 */
export async function registerSelf(input: SelfRegistrationInput): Promise<SelfRegistration | undefined> {
  const { env } = input;
  if (env.MSX_DISCOVERY?.trim() !== 'consul' || env.MSX_DISCOVERY_REGISTER?.trim() === 'false') return undefined;
  const everyMs = resyncMs(env);
  const discovery: ConsulDiscovery = createConsulDiscovery({ env });
  const address = advertisedAddress(input.host, env);
  const id = env.MSX_INSTANCE?.trim() || `${input.service}-${address}-${input.port}`;
  const register = async () => {
    const initialStatus = (await input.ready()) ? 'passing' : 'critical';
    await discovery.register({ service: input.service, id, address, port: input.port, initialStatus, meta: { system: env.MSX_SYSTEM ?? '' } });
    return initialStatus;
  };
  let status: string;
  for (let attempt = 1; ; attempt++) {
    try {
      status = await register();
      break;
    } catch (error) {
      if (attempt >= ATTEMPTS) {
        await discovery.close().catch(() => {});
        throw error;
      }
      input.log.warn({ err: error, attempt }, 'registering with Consul failed; trying again');
      await sleep(250 * attempt);
    }
  }
  input.log.info({ id, address, port: input.port, status }, 'registered with Consul');

  let resyncing: Promise<void> | undefined;
  let failing = false;
  const resync = everyMs === 0 ? undefined : setInterval(() => {
    resyncing ??= (async () => {
      try {
        if (!(await discovery.isRegistered(id))) {
          const again = await register();
          input.log.warn({ id, status: again }, 'Consul no longer listed this instance (removed while its check was critical, or its agent lost it); registered again');
        }
        if (failing) input.log.info({ id }, 'reached Consul again');
        failing = false;
      } catch (error) {
        // Once per outage: the agent being away is what the callers' caches and the next try are for.
        if (!failing) input.log.warn({ err: error, id }, 'could not check this instance\'s registration with Consul; trying again later');
        failing = true;
      }
    })().finally(() => (resyncing = undefined));
  }, everyMs);
  resync?.unref();

  let done: Promise<void> | undefined;
  return {
    id,
    deregister() {
      done ??= (async () => {
        clearInterval(resync);
        await resyncing;
        await discovery.close().then(
          () => input.log.info({ id }, 'deregistered from Consul'),
          (error: unknown) => input.log.warn({ err: error, id }, 'deregistering from Consul failed; its readiness check will drop this instance'),
        );
      })();
      return done;
    },
  };
}

/**
 * Where other processes reach this one: `MSX_ADVERTISE_ADDRESS` when set;
 * the bound address when it is one; for a wildcard bind (`0.0.0.0` in a
 * container or pod), this machine's first external IPv4 address, which is
 * the container's or the pod's own.
 */
export function advertisedAddress(host: string, env: NodeJS.ProcessEnv): string {
  const given = env.MSX_ADVERTISE_ADDRESS?.trim();
  if (given) return given;
  if (host !== '0.0.0.0' && host !== '::' && host !== '') return host;
  for (const addresses of Object.values(networkInterfaces())) {
    for (const a of addresses ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
