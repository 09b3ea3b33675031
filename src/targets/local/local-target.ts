import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, failure, usageError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { readSystemSecrets } from '../../secrets/system-secrets.js';
import { errColour } from '../../ui/colour.js';
import { recentTraces } from '../../observability/trace-query.js';
import type { DownOptions, DownResult, InstanceStatus, LogEntry, LogQuery, ScaleChange, Target, UpOptions, UpProgress, UpResult } from '../target.js';
import { ControlClient, ControlError } from './control-client.js';
import { MissingDatabaseUrlError } from './embedded-infrastructure.js';
import { instanceEnv, MissingBusUrlError } from './instance-env.js';
import { toInstanceStatus, type LocalInstance } from './local-instance.js';
import { localMetrics } from './local-metrics.js';
import { localAdmin } from './local-admin.js';
import { localPaths, type LocalPaths } from './local-paths.js';
import { formatEntry } from '../../logs/log-format.js';
import { parseLogLine } from '../../logs/log-line.js';
import { readLogs } from './log-reader.js';
import { PortInUseError } from './port-holder.js';
import { NotBuiltError, preflight } from './preflight.js';
import { measureProcesses } from './process-stats.js';
import { selectServices, startWaves, UnknownServiceError } from './start-plan.js';
import { ensureStateDir, isAlive, readState, type StartFailureInfo } from './state-store.js';
import { launchSupervisor } from './supervisor-launcher.js';
import { processOwner, SupervisorLock } from './supervisor-lock.js';
import { findSystemProcesses, type SystemProcess } from './system-processes.js';
import { openSession } from './supervisor-session.js';
import { StartFailure } from './supervisor.js';

/**
 * The local target: every instance a native process on this machine, run
 * by a supervisor (in the `msx up` process, or in the background with
 * `-d`) that keeps its state under `<system>/.msx/`. This is the boundary
 * where the target's typed errors become CliErrors with hints.
 */
export function localTarget(root: string, manifest: () => Manifest): Target {
  const paths = localPaths(root);
  return {
    kind: 'local',
    up: (options, progress) => up(root, manifest(), paths, options, progress),
    down: (options) => down(paths, options),
    ps: () => ps(paths),
    logs: (query, write, signal) => logs(paths, query, write, signal),
    scale: (counts) => scale(paths, counts),
    restart: (instance) => restart(paths, instance),
    traces: () => ({ location: paths.tracesDir, recent: (limit) => recentTraces(paths.tracesDir, limit) }),
    metrics: () => localMetrics(paths),
    admin: () => localAdmin(paths),
  };
}

const statuses = (instances: readonly LocalInstance[]): InstanceStatus[] => instances.map((i) => toInstanceStatus(i));

async function up(root: string, manifest: Manifest, paths: LocalPaths, options: UpOptions, progress: UpProgress): Promise<UpResult> {
  // Held from here for the supervisor's whole life: of two `up` at once, the second is refused here.
  const lock = new SupervisorLock(paths.lockFile);
  let attempt;
  try {
    mkdirSync(paths.stateDir, { recursive: true, mode: 0o700 });
    attempt = lock.acquire();
  } catch (error) {
    // A full or read-only disk, a .msx that is not ours: say which file, not "a bug in msx".
    const cause = error as NodeJS.ErrnoException;
    throw failure(`cannot write ${paths.lockFile}: ${cause.code === 'ENOSPC' ? 'no space left on the disk' : cause.message}`, cause.code === 'ENOSPC' ? 'free some disk space, then run msx up again' : `check that ${paths.stateDir} is a folder you can write`);
  }
  if (!attempt.acquired) throw alreadyRunning(manifest, attempt.holder.pid);
  let handedOver = false;
  try {
    const result = await upLocked(root, manifest, paths, options, progress, lock, () => (handedOver = true));
    return result;
  } finally {
    if (!handedOver) lock.release();
  }
}

function alreadyRunning(manifest: Manifest, pid: number): CliError {
  return new CliError(`${manifest.name} is already running (supervisor pid ${pid})`, {
    exitCode: 1,
    hint: 'msx ps shows its instances; msx down stops it',
  });
}

/** `up` once this process holds the supervisor lock; `handOver` is called once a supervisor owns it. */
async function upLocked(root: string, manifest: Manifest, paths: LocalPaths, options: UpOptions, progress: UpProgress, lock: SupervisorLock, handOver: () => void): Promise<UpResult> {
  const running = await ControlClient.reach(paths);
  if (running) throw alreadyRunning(manifest, running.pid);
  await options.prepare?.();
  await stopLeftovers(paths);

  let services: string[];
  try {
    services = selectServices(manifest, options.services);
  } catch (error) {
    if (error instanceof UnknownServiceError) throw usageError(`unknown service "${error.service}"`, `services in msx.yaml: ${error.known.join(', ')}`);
    throw error;
  }
  try {
    // Build one environment up front: a configuration mistake fails here, not half-way through the start.
    instanceEnv({ manifest, service: services[0]!, instanceId: 'check', port: 0, paths, processEnv: process.env, dotEnv: readSystemSecrets(root, manifest).values });
    await preflight(root, manifest, services);
  } catch (error) {
    throw toCliError(error);
  }
  progress.onPlan(startWaves(manifest, services).flat());

  if (options.detach) return upDetached(root, manifest, paths, services, options, progress, (pid) => {
    lock.transfer(processOwner(pid));
    handOver();
  });

  if (options.signal?.aborted) throw failure('stopped before anything started');
  const session = await openSession({ root, manifest, paths, mode: 'foreground', services, readyTimeoutMs: options.readyTimeoutMs, watch: options.watch });
  handOver(); // the session releases the lock when it ends
  session.supervisor.onChange((state) => progress.onChange(statuses(state.instances)));
  // Aborted while the session was opening (a Ctrl-C, a closed output during the embedded infrastructure's start): a listener added now would never fire.
  if (options.signal?.aborted) void session.stop();
  else options.signal?.addEventListener('abort', () => void session.stop(), { once: true });
  try {
    await session.started;
  } catch (error) {
    throw toCliError(error);
  }
  if (options.signal?.aborted) {
    await session.ended;
    throw failure('stopped before every instance was ready');
  }
  const state = session.supervisor.snapshot();
  return {
    instances: statuses(state.instances),
    gatewayUrl: state.gatewayUrl,
    attached: { onLog: (listener) => session.supervisor.onLine(listener), stop: () => session.stop(), ended: session.ended, instances: () => statuses(session.supervisor.snapshot().instances) },
  };
}

/** Starts the background supervisor and follows `.msx/state.json` until every instance is ready or one failed. */
async function upDetached(root: string, manifest: Manifest, paths: LocalPaths, services: readonly string[], options: UpOptions, progress: UpProgress, launched: (pid: number) => void): Promise<UpResult> {
  ensureStateDir(paths);
  rmSync(paths.stateFile, { force: true });
  const { pid, startFailure } = launchSupervisor(root, paths, { services, readyTimeoutMs: options.readyTimeoutMs, watch: options.watch, manifest });
  launched(pid);
  // The supervisor closes its report pipe once every instance is ready (or it failed): look at once then, not at the next poll.
  let reportClosed = false;
  const pipeClosed = startFailure.then(() => { reportClosed = true; });
  // Bounded even if the supervisor hangs: every wave may take the full ready timeout, plus spawn time.
  const deadline = Date.now() + options.readyTimeoutMs * (services.length + 1) + 30_000;
  let lastUpdate = 0;
  while (Date.now() < deadline) {
    const state = readState(paths);
    if (state && state.supervisor.pid === pid) {
      if (state.updatedAt !== lastUpdate) {
        lastUpdate = state.updatedAt;
        progress.onChange(statuses(state.instances));
      }
      if (state.phase === 'running') return { instances: statuses(state.instances), gatewayUrl: state.gatewayUrl };
      if (state.phase === 'failed' && state.failure) {
        await waitForExit(pid, 20_000);
        throw startFailureError(state.failure);
      }
    }
    if (!isAlive(pid)) {
      const final = readState(paths);
      if (final?.supervisor.pid === pid && final.failure) throw startFailureError(final.failure);
      // Failed before its instances started (e.g. a full disk, where its log may be empty): it said why on the report pipe.
      const reported = await Promise.race([startFailure, sleep(2000).then(() => undefined)]);
      if (reported) throw new CliError(reported.message, { exitCode: 1, hint: reported.hint ?? `see ${paths.supervisorLog}` });
      throw new CliError('the background supervisor exited before the system was up', {
        exitCode: 1,
        details: tailOf(paths.supervisorLog, 10),
        hint: `see ${paths.supervisorLog}`,
      });
    }
    await (reportClosed ? sleep(100) : Promise.race([sleep(100), pipeClosed]));
  }
  throw failure('the system did not come up in time; the supervisor keeps trying', 'msx ps shows what is starting; msx down stops it');
}

async function down(paths: LocalPaths, options: DownOptions): Promise<DownResult> {
  const client = await ControlClient.reach(paths);
  let stopped: string[] = [];
  let wasRunning = false;
  if (client) {
    wasRunning = true;
    stopped = (readState(paths)?.instances ?? []).map((i) => i.id);
    await client.call('POST', '/stop');
    // The supervisor stops instances in order, each bounded by SIGTERM → SIGKILL.
    if (!(await waitForExit(client.pid, 90_000))) {
      throw failure(`the supervisor (pid ${client.pid}) is still stopping after 90s`, `kill ${client.pid} to force it`);
    }
    // It has exited; give its new parent a moment to reap it, so no trace of it (a zombie pid) is left when down returns.
    await waitUntilReaped(client.pid, 3_000);
  }
  const leftovers = await stopLeftovers(paths);
  if (leftovers.length > 0) {
    wasRunning = true;
    stopped = [...new Set([...stopped, ...leftovers])];
  }
  let removedData = false;
  if (options.volumes && existsSync(paths.dataDir)) {
    rmSync(paths.dataDir, { recursive: true, force: true });
    removedData = true;
  }
  return { wasRunning, stopped, removedData };
}

async function ps(paths: LocalPaths): Promise<InstanceStatus[]> {
  const state = readState(paths);
  const supervised = state && isAlive(state.supervisor.pid) && state.phase !== 'stopped' && state.phase !== 'failed';
  const instances: LocalInstance[] = supervised ? [...state.instances] : supervisorAlive(paths) ? [] : orphanRows(paths);
  const pids = instances.map((i) => i.pid).filter((p): p is number => p !== undefined);
  const usage = await measureProcesses(pids);
  return instances.map((i) => toInstanceStatus(i, i.pid === undefined ? undefined : usage.get(i.pid)));
}

/** Instances still running after their supervisor died, as `ps` rows: state `orphaned`, so `msx down` is the obvious next step. */
function orphanRows(paths: LocalPaths): LocalInstance[] {
  const known = new Map((readState(paths)?.instances ?? []).map((i) => [i.id, i]));
  return findSystemProcesses(paths).map((p) => {
    const recorded = known.get(p.instance);
    const port = p.port ?? recorded?.port ?? 0;
    return {
      id: p.instance,
      service: p.service,
      pid: p.pid,
      port,
      url: `http://127.0.0.1:${port}`,
      state: 'orphaned',
      ready: false,
      restarts: recorded?.restarts ?? 0,
      startedAt: recorded?.pid === p.pid ? recorded.startedAt : undefined,
    };
  });
}

/**
 * Whether a supervisor of this system is alive (possibly still starting, its
 * control channel not yet open): the lock's holder, or the pid in
 * state.json for a supervisor from before the lock. Its instances are its
 * own, never leftovers.
 */
function supervisorAlive(paths: LocalPaths): boolean {
  const holder = new SupervisorLock(paths.lockFile).liveHolder();
  if (holder && holder.pid !== process.pid) return true;
  const state = readState(paths);
  return state !== undefined && state.supervisor.pid !== process.pid && isAlive(state.supervisor.pid) && state.phase !== 'stopped' && state.phase !== 'failed';
}

async function logs(paths: LocalPaths, query: LogQuery, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
  if (!existsSync(paths.logsDir)) throw failure('no logs yet: the system has not run here', 'start it with msx up');
  await readLogs(paths, query, write, signal);
}

async function scale(paths: LocalPaths, counts: Readonly<Record<string, number>>): Promise<ScaleChange[]> {
  const client = await ControlClient.reach(paths);
  if (!client) throw failure('the system is not running', 'start it with msx up -d, then scale');
  try {
    return await client.call<ScaleChange[]>('POST', '/scale', { counts }, 10 * 60_000);
  } catch (error) {
    if (error instanceof ControlError && error.status === 400) throw usageError(error.message);
    throw failure(`scale failed: ${(error as Error).message}`, 'msx logs shows why an instance did not become ready');
  }
}

async function restart(paths: LocalPaths, instance: string): Promise<void> {
  const client = await ControlClient.reach(paths);
  if (!client) throw failure('the system is not running', 'start it with msx up -d');
  try {
    await client.call('POST', '/restart', { instance }, 5 * 60_000);
  } catch (error) {
    if (error instanceof ControlError && error.status === 404) throw usageError(error.message, 'msx ps lists the instances');
    throw failure(`restarting ${instance} failed: ${(error as Error).message}`, `msx logs ${instance} shows why`);
  }
}

/**
 * Instances a supervisor left behind when it was killed: every process whose
 * environment marks it as an instance of this system (system-processes.ts),
 * found while no supervisor of it is alive. The marker, not state.json's
 * pids or a command line, decides, so a recycled pid is never signalled and
 * an instance restarted after state.json was last written is not missed.
 * SIGTERM (they drain), then SIGKILL after 15 s.
 */
async function stopLeftovers(paths: LocalPaths): Promise<string[]> {
  if (supervisorAlive(paths)) return [];
  const orphans: SystemProcess[] = findSystemProcesses(paths);
  for (const orphan of orphans) signal(orphan.pid, 'SIGTERM');
  await Promise.all(orphans.map(async (orphan) => {
    if (!(await waitForExit(orphan.pid, 15_000))) signal(orphan.pid, 'SIGKILL');
  }));
  return orphans.map((o) => o.instance);
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // gone meanwhile
  }
}

/** Maps the local target's typed errors to what the user reads. */
function toCliError(error: unknown): unknown {
  if (error instanceof CliError) return error;
  if (error instanceof StartFailure) return startFailureError(error.info);
  if (error instanceof PortInUseError) {
    return new CliError(error.message, {
      exitCode: 1,
      hint: error.holder ? `stop pid ${error.holder.pid}, or give ${error.service.replace(/-\d+$/, '')} another port in msx.yaml` : `free port ${error.port}, or give ${error.service.replace(/-\d+$/, '')} another port in msx.yaml`,
    });
  }
  if (error instanceof NotBuiltError) {
    return error.missingDependencies
      ? new CliError(error.message, { exitCode: 1, hint: 'run npm install in the system folder, then npm run build' })
      : new CliError(`services not built: ${error.services.join(', ')}`, { exitCode: 1, hint: 'run npm run build in the system folder' });
  }
  if (error instanceof MissingBusUrlError) return usageError(error.message, 'set RABBITMQ_URL in .env, or set infrastructure.local.bus to embedded in msx.yaml');
  if (error instanceof MissingDatabaseUrlError) return usageError(error.message, `set ${error.variable} in .env, or set infrastructure.local.database to embedded in msx.yaml`);
  return error;
}

function startFailureError(info: StartFailureInfo): CliError {
  const lines = info.logTail.slice(-12).map((raw) => {
    const entry = parseLogLine(raw, { service: info.service, instance: info.instance });
    return entry ? formatEntry(entry, errColour, info.instance.length) : raw;
  });
  return new CliError(info.message, {
    exitCode: 1,
    details: lines.length > 0 ? ['last log lines:', ...lines] : [],
    hint: info.reason === 'port-in-use' || info.reason === 'listen-not-permitted'
      ? 'the other services were stopped; run msx up again once the port is fixed'
      : `msx logs ${info.service} shows its whole log; the other services were stopped`,
  });
}

function tailOf(file: string, lines: number): string[] {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines);
  } catch {
    return [];
  }
}

async function waitUntilReaped(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
  return true;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
