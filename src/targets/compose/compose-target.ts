import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { CliError, failure, usageError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { remoteTraceSource } from '../../observability/remote-traces.js';
import { adminFetch } from '../admin-fetch.js';
import { startWaves } from '../start-order.js';
import type { AdminSource, DownOptions, DownResult, InstanceStatus, MetricsSource, ScaleChange, Target, TraceSource, UpOptions, UpProgress, UpResult } from '../target.js';
import { composeCli } from './compose-cli.js';
import { containerStatus, containerUsage, systemContainers, type SystemContainer } from './compose-containers.js';
import { composeLogs } from './compose-logs.js';
import { lastLogLines } from './last-log-lines.js';
import { restartContainer } from './container-restart.js';
import { COLLECTOR_PORT, composeProjectName, CONTAINER_PORT, INFRASTRUCTURE } from './compose-names.js';
import { writeComposeFile } from './write-compose-file.js';

/** How often `up` and `scale` look at the containers while they wait. */
const POLL_MS = 500;

/**
 * The system on docker compose: msx renders compose.yaml from msx.yaml,
 * compose creates and starts the containers, and msx finds them again
 * through the engine API by compose's labels, so it works the same with
 * compose v2 and v1 (which lacks `up --wait` and `ps --format json`).
 */
export function composeTarget(root: string, manifest: () => Manifest): Target {
  const project = () => composeProjectName(manifest());
  const services = () => Object.keys(manifest().services);
  // dockerode loads only when a command talks to the engine, not at every msx start.
  const engine = async () => (await import('../../containers/docker-engine.js')).connectedEngine({ purpose: 'the compose target' });
  return {
    kind: 'compose',
    up: async (options, progress) => up(root, manifest(), await engine(), options, progress),
    down: async (options) => down(root, manifest(), await engine(), options),
    ps: async () => ps(await engine(), project(), services()),
    logs: async (query, write, signal) => {
      const docker = await engine();
      await composeLogs(docker, project(), services(), query, write, signal);
    },
    scale: async (counts) => scale(root, manifest(), await engine(), counts),
    restart: async (instance) => restartContainer(await engine(), project(), services(), instance),
    traces: () => collectorTraces(engine, project),
    metrics: () => containerMetrics(engine, project, services),
    admin: () => containerAdmin(containerMetrics(engine, project, services), engine, project),
  };
}

async function ps(docker: Docker, project: string, services: readonly string[]): Promise<InstanceStatus[]> {
  const containers = await systemContainers(docker, project, { services });
  return Promise.all(containers.map(async (c) => containerStatus(docker, c, c.state === 'running' ? await containerUsage(docker, c.containerId) : undefined)));
}

async function up(root: string, manifest: Manifest, docker: Docker, options: UpOptions, progress: UpProgress): Promise<UpResult> {
  if (options.services.length > 0) throw usageError('on compose, msx up starts the whole system', 'run msx up --target compose without service names; msx scale changes how many of one run');
  if (options.watch) throw usageError('--watch is for the local target', 'on compose, run msx up --target compose again after a change: it rebuilds what changed');
  const project = composeProjectName(manifest);
  const cli = await composeCli(root, project);
  // The files msx owns (the gateway's config, events and typed clients) brought in line with msx.yaml before they go into images.
  await options.prepare?.();
  const { serviceImages } = await import('./service-images.js');
  const images = await serviceImages(root, manifest, docker, (service) => process.stderr.write(`building the image of ${service}…\n`));
  const { ensureCollectorImage } = await import('./collector-image.js');
  const collector = await ensureCollectorImage(docker, manifest);
  await writeComposeFile(root, manifest, { images: { ...images, [INFRASTRUCTURE.collector]: collector.tag }, composeVersion: cli.version });

  const services = startWaves(manifest, Object.keys(manifest.services)).flat();
  progress.onPlan(services);
  const started = Date.now();
  // Compose itself waits for each dependency's health before starting what depends on it, so `up -d` may take the whole start: watch the containers meanwhile.
  let composeDone = false;
  let composeError: unknown;
  const deadline = started + options.readyTimeoutMs * (startWaves(manifest, services).length + 2) + 60_000;
  // Compose gives up on a dependency the moment its healthcheck reports unhealthy, though on a loaded machine a
  // healthcheck can time out once and pass the next time: while the time lasts, ask compose again.
  const composeUp = (async () => {
    for (let attempt = 1; ; attempt++) {
      try {
        await cli.run(['up', '-d', '--remove-orphans'], { signal: options.signal });
        return;
      } catch (error) {
        const flapped = error instanceof CliError && (error.options.details ?? []).some((line) => /is unhealthy/.test(line));
        if (!flapped || attempt >= 3 || Date.now() > deadline - options.readyTimeoutMs || options.signal?.aborted) throw error;
        await sleep(options.readyTimeoutMs / 4);
      }
    }
  })().then(() => (composeDone = true), (error: unknown) => {
    composeDone = true;
    composeError = error;
  });
  let lastSeen = '';
  for (;;) {
    const instances = await ps(docker, project, services).catch(() => []);
    const seen = JSON.stringify(instances.map((i) => [i.id, i.state]));
    if (seen !== lastSeen) {
      lastSeen = seen;
      progress.onChange(instances);
    }
    const expected = services.reduce((sum, s) => sum + manifest.services[s]!.replicas, 0);
    if (composeDone && instances.length >= expected && instances.every((i) => i.ready)) {
      await composeUp;
      return { instances, gatewayUrl: gatewayUrl(manifest, instances) };
    }
    if (composeDone && composeError) throw await withUnhealthyLogs(docker, project, composeError, services);
    const unhealthy = instances.find((i) => i.state === 'unready' || i.state === 'failed');
    if (unhealthy && Date.now() - started > options.readyTimeoutMs) throw await notHealthy(docker, project, unhealthy, options.readyTimeoutMs);
    if (options.signal?.aborted) throw failure('stopped before every container was healthy', 'msx down stops what started');
    if (Date.now() > deadline) {
      const waiting = instances.find((i) => !i.ready);
      if (waiting) throw await notHealthy(docker, project, waiting, options.readyTimeoutMs);
      throw failure(`compose did not start every container in time`, 'msx ps shows what runs; msx logs shows why');
    }
    await sleep(POLL_MS);
  }
}

function gatewayUrl(manifest: Manifest, instances: readonly InstanceStatus[]): string | undefined {
  const gateway = Object.entries(manifest.services).find(([, s]) => s.kind === 'gateway')?.[0];
  return instances.find((i) => i.service === gateway && i.url)?.url;
}

/** A container that did not become healthy: its last log lines, and what to do. */
async function notHealthy(docker: Docker, project: string, instance: InstanceStatus, timeoutMs: number): Promise<CliError> {
  const lines = await lastLogLines(docker, project, instance.id, 15);
  return new CliError(`${instance.id} did not become healthy within ${Math.round(timeoutMs / 1000)}s (${instance.state})`, {
    exitCode: 1,
    details: lines.length > 0 ? ['last log lines:', ...lines] : [],
    hint: `msx logs ${instance.service} shows its whole log; the other containers keep running: msx ps, msx down`,
  });
}

/** Compose failed (e.g. "dependency failed to start"): add the last lines of a container that is not healthy. */
async function withUnhealthyLogs(docker: Docker, project: string, error: unknown, services: readonly string[]): Promise<unknown> {
  if (!(error instanceof CliError)) return error;
  const containers = await systemContainers(docker, project).catch(() => []);
  const bad = containers.find((c) => c.health === 'unhealthy' || c.state === 'exited' || c.state === 'restarting');
  if (!bad) return error;
  const lines = await lastLogLines(docker, project, bad.instance, 15);
  return new CliError(`${error.message}: ${bad.instance} is ${bad.health ?? bad.state}`, {
    exitCode: 1,
    details: [...(error.options.details ?? []), ...(lines.length > 0 ? [`last log lines of ${bad.instance}:`, ...lines] : [])],
    hint: `${services.includes(bad.service) ? `msx logs ${bad.service}` : `docker logs ${bad.name}`} shows its whole log; msx down stops the rest`,
  });
}

async function down(root: string, manifest: Manifest, docker: Docker, options: DownOptions): Promise<DownResult> {
  const project = composeProjectName(manifest);
  const before = await systemContainers(docker, project);
  const volumesBefore = options.volumes ? await docker.listVolumes({ filters: { label: [`com.docker.compose.project=${project}`] } }) : undefined;
  if (before.length === 0 && !(volumesBefore?.Volumes?.length)) return { wasRunning: false, stopped: [], removedData: false };
  const cli = await composeCli(root, project);
  await cli.run(['down', '--remove-orphans', ...(options.volumes ? ['--volumes'] : [])]);
  const services = new Set(Object.keys(manifest.services));
  return {
    wasRunning: before.length > 0,
    stopped: before.filter((c) => services.has(c.service)).map((c) => c.instance),
    removedData: Boolean(options.volumes && volumesBefore?.Volumes?.length),
  };
}

/**
 * Scaling up: compose adds containers (`--no-recreate`: the running ones
 * stay), and msx waits for them to be healthy; the gateway's DNS discovery
 * finds them on its next refresh. Scaling down: msx stops the highest
 * numbered containers itself first (SIGTERM: each drains, failing /ready and
 * serving for its SHUTDOWN_DELAY_MS while discovery lets go, then finishing
 * in-flight requests), and only then lets compose remove them.
 */
async function scale(root: string, manifest: Manifest, docker: Docker, counts: Readonly<Record<string, number>>): Promise<ScaleChange[]> {
  const project = composeProjectName(manifest);
  const cli = await composeCli(root, project);
  const changes: ScaleChange[] = [];
  for (const [service, to] of Object.entries(counts)) {
    const current = (await systemContainers(docker, project, { services: [service] })).filter((c) => c.state === 'running' || c.state === 'restarting');
    if (current.length === 0 && manifest.services[service] !== undefined && (await systemContainers(docker, project)).length === 0) {
      throw failure('the system is not running on compose', 'start it with msx up --target compose, then scale');
    }
    const from = current.length;
    if (to < from) {
      const leaving = [...current].sort((a, b) => b.number - a.number).slice(0, from - to);
      await Promise.all(leaving.map((c) => drain(docker, c)));
    }
    await cli.run(['up', '-d', '--no-recreate', '--no-deps', '--scale', `${service}=${to}`, service]);
    const after = await waitForHealthy(docker, project, service, to);
    const ids = new Set(current.map((c) => c.instance));
    const afterIds = new Set(after.map((c) => c.instance));
    changes.push({ service, from, to, started: after.filter((c) => !ids.has(c.instance)).map((c) => c.instance), stopped: current.filter((c) => !afterIds.has(c.instance)).map((c) => c.instance) });
  }
  return changes;
}

/** Stops one container the way compose would (SIGTERM, SIGKILL after the grace period), so its restart policy leaves it stopped. */
async function drain(docker: Docker, container: SystemContainer): Promise<void> {
  const info = await docker.getContainer(container.containerId).inspect().catch(() => undefined);
  const grace = Number((info?.Config as { StopTimeout?: number } | undefined)?.StopTimeout ?? 15);
  await docker.getContainer(container.containerId).stop({ t: grace }).catch((error: { statusCode?: number }) => {
    if (error.statusCode !== 304 && error.statusCode !== 404) throw error;
  });
}

/** How long scale waits for the new containers to be healthy. */
const SCALE_TIMEOUT_MS = 180_000;
/**
 * How long a container may stay unhealthy before scale gives up on it. On a
 * loaded machine a healthcheck times out now and then, the engine marks the
 * container unhealthy after a few misses, and the next check passes: that
 * flap is waited through; a service that stays unhealthy this long is broken.
 */
const UNHEALTHY_GRACE_MS = 60_000;

async function waitForHealthy(docker: Docker, project: string, service: string, count: number): Promise<SystemContainer[]> {
  const deadline = Date.now() + SCALE_TIMEOUT_MS;
  const unhealthySince = new Map<string, number>();
  for (;;) {
    const running = (await systemContainers(docker, project, { services: [service] })).filter((c) => c.state === 'running');
    if (running.length === count && running.every((c) => c.health === undefined || c.health === 'healthy')) return running;
    const now = Date.now();
    for (const c of running) {
      if (c.health !== 'unhealthy') unhealthySince.delete(c.instance);
      else if (!unhealthySince.has(c.instance)) unhealthySince.set(c.instance, now);
    }
    const stuck = running.find((c) => now - (unhealthySince.get(c.instance) ?? now) > UNHEALTHY_GRACE_MS);
    if (stuck) throw await scaleFailure(docker, project, service, stuck.instance, `${stuck.instance} stayed unhealthy for ${UNHEALTHY_GRACE_MS / 1000}s`);
    if (now > deadline) {
      const waiting = running.find((c) => c.health !== undefined && c.health !== 'healthy');
      const what = `${service} did not reach ${count} healthy container${count === 1 ? '' : 's'} in ${SCALE_TIMEOUT_MS / 1000}s (${running.length} running${waiting ? `, ${waiting.instance} ${waiting.health}` : ''})`;
      throw await scaleFailure(docker, project, service, waiting?.instance, what);
    }
    await sleep(POLL_MS);
  }
}

async function scaleFailure(docker: Docker, project: string, service: string, instance: string | undefined, message: string): Promise<CliError> {
  const lines = instance === undefined ? [] : await lastLogLines(docker, project, instance, 15);
  return new CliError(message, {
    exitCode: 1,
    details: lines.length > 0 ? [`last log lines of ${instance}:`, ...lines] : [],
    hint: `msx ps shows the containers; msx logs ${service} shows why`,
  });
}

/** msx-collector answers `GET /msx/traces` on its network address. */
function collectorTraces(engine: () => Promise<Docker>, project: () => string): TraceSource {
  return remoteTraceSource(`the ${INFRASTRUCTURE.collector} container`, async (path) => {
    const docker = await engine();
    const [collector] = (await systemContainers(docker, project(), { services: [INFRASTRUCTURE.collector] })).filter((c) => c.state === 'running');
    if (!collector?.address) throw failure(`the ${INFRASTRUCTURE.collector} container is not running`, 'start the system with msx up --target compose');
    const response = await fetch(`http://${collector.address}:${COLLECTOR_PORT}${path}`, { signal: AbortSignal.timeout(10_000) }).catch((error: Error) => {
      throw failure(`the ${INFRASTRUCTURE.collector} container does not answer at ${collector.address}:${COLLECTOR_PORT} (${error.message})`, 'msx logs shows whether it runs; the engine must route to its containers (a Linux engine does)');
    });
    if (!response.ok) throw failure(`the ${INFRASTRUCTURE.collector} container answered ${response.status}`, 'msx logs shows why');
    return response.text();
  });
}

/** Each service container's /metrics, on its address in the project's network. */
function containerMetrics(engine: () => Promise<Docker>, project: () => string, services: () => readonly string[]): MetricsSource {
  const addresses = new Map<string, string>();
  return {
    async endpoints() {
      const docker = await engine();
      const running = (await systemContainers(docker, project(), { services: services() })).filter((c) => c.state === 'running' && c.address);
      for (const c of running) addresses.set(c.instance, c.address!);
      return running.map((c) => ({ service: c.service, instance: c.instance }));
    },
    async scrape(endpoint, timeoutMs) {
      const address = addresses.get(endpoint.instance);
      if (!address) return undefined;
      try {
        const response = await fetch(`http://${address}:${CONTAINER_PORT}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
        return response.ok ? await response.text() : undefined;
      } catch {
        return undefined;
      }
    },
  };
}

/** Each service container's admin surface, on its address in the project's network (the same instances as metrics). */
function containerAdmin(metrics: MetricsSource, engine: () => Promise<Docker>, project: () => string): AdminSource {
  return {
    endpoints: () => metrics.endpoints(),
    async request(endpoint, request) {
      const docker = await engine();
      const container = (await systemContainers(docker, project(), { services: [endpoint.service] })).find((c) => c.instance === endpoint.instance);
      if (!container?.address) return undefined;
      return adminFetch(`http://${container.address}:${CONTAINER_PORT}`, request);
    },
  };
}
