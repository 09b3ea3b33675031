import { appendFileSync } from 'node:fs';
import type { Manifest } from '../../manifest/schema.js';
import type { InstanceState, ScaleChange } from '../target.js';
import type { LocalInstance } from './local-instance.js';
import { instanceEnv } from './instance-env.js';
import { InstanceProcess, type InstanceExit } from './instance-process.js';
import type { LocalPaths } from './local-paths.js';
import { supervisorLine } from '../../logs/log-line.js';
import { firstFreePort } from './port-probe.js';
import { instanceArgs } from './instance-command.js';
import { NotReadyError, probeReady, ReadinessNudge, waitForReady } from './readiness-wait.js';
import { registryContent, writeRegistry } from './registry-file.js';
import { DEFAULT_RESTART_POLICY, nextRestart, type RestartPolicyOptions } from './restart-policy.js';
import { initialInstances, instanceId, nextIndexes, scaledPortCandidates, selectServices, startsAfter, startWaves, stopWaves } from './start-plan.js';
import type { InstanceTimeline, StartTimeline } from './start-timeline.js';
import { describeExit, listenFailureMessage, startupCause } from './startup-exit.js';
import { ensureStateDir, writeState, type StartFailureInfo, type SupervisorPhase, type SupervisorState } from './state-store.js';

export interface SupervisorOptions {
  readonly root: string;
  readonly manifest: Manifest;
  readonly paths: LocalPaths;
  readonly dotEnv: Readonly<Record<string, string>>;
  readonly processEnv: Readonly<Record<string, string | undefined>>;
  /** Per service: what the embedded infrastructure gives it (database URL, trace collector). */
  readonly infrastructureEnv?: Readonly<Record<string, Readonly<Record<string, string>>>>;
  /**
   * Per service: what of the embedded infrastructure must be open before it
   * starts (its database engine, still opening while the instances load
   * their code). A rejection is never seen here: whoever opens the
   * infrastructure stops the start.
   */
  readonly infrastructureOpen?: Readonly<Record<string, Promise<void>>>;
  /** Where the start's steps are recorded, for `.msx/state.json`. */
  readonly timeline?: StartTimeline;
  readonly mode: 'foreground' | 'detached';
  /** How long an instance may take to become ready, ms. */
  readonly readyTimeoutMs: number;
  /** SIGTERM → SIGKILL bound per instance, ms. Default 15,000 (the service kit drains for up to 10 s). */
  readonly stopTimeoutMs?: number;
  /** How long a scaled-down instance stays out of the registry before SIGTERM, so balancers drop it first. Default 2,500 (local discovery polls every 2 s if a file event is missed). */
  readonly drainDelayMs?: number;
  /** Readiness re-check of running instances, ms. Default 2,000. */
  readonly monitorIntervalMs?: number;
  readonly restartPolicy?: RestartPolicyOptions;
  /** `msx up --watch`: services are rebuilt and restarted when their source changes. Only recorded here, for `.msx/state.json`. */
  readonly watching?: boolean;
}

/** `up` could not bring the system up; carries what the user needs to see. */
export class StartFailure extends Error {
  override readonly name = 'StartFailure';
  constructor(readonly info: StartFailureInfo) {
    super(info.message);
  }
}

/** A scale request that cannot be carried out as asked. */
export class ScaleError extends Error {
  override readonly name = 'ScaleError';
  constructor(readonly service: string, message: string) {
    super(message);
  }
}

/** A rolling restart (after a rebuild) that stopped part-way; the instances not yet restarted keep running. */
export class RestartError extends Error {
  override readonly name = 'RestartError';
  constructor(readonly service: string, readonly instance: string, message: string) {
    super(message);
  }
}

/** What the supervisor keeps per instance. */
interface Managed {
  readonly id: string;
  readonly service: string;
  readonly index: number;
  readonly port: number;
  readonly url: string;
  process: InstanceProcess | undefined;
  state: InstanceState;
  ready: boolean;
  restarts: number;
  crashes: readonly number[];
  streak: number;
  lastExit: LocalInstance['lastExit'];
  /** Until first ready, a failure fails the caller (`up`, `scale`) instead of restarting. */
  failFast: boolean;
  /** What its process waits for at the start gate before it may start (`up`: the services it calls); undefined: nothing. */
  startGate: Promise<void> | undefined;
  /** Set when we asked it to stop: its exit is not a crash. */
  stopping: boolean;
  restartTimer: NodeJS.Timeout | undefined;
  failedProbes: number;
}

/**
 * Runs a system's instances as child processes and keeps them running: the
 * heart of the local target. It starts services in dependency order and
 * waits for each to be ready, restarts crashed instances with backoff,
 * scales services up and down without dropping requests, and stops
 * everything in reverse order. Every change is written to `.msx/state.json`
 * and the discovery registry file, which is how other msx commands and the
 * instances themselves see it. The same class runs in the foreground
 * (`msx up`) and in the background supervisor (`msx up -d`).
 */
export class Supervisor {
  readonly #options: SupervisorOptions;
  readonly #instances = new Map<string, Managed>();
  readonly #lineListeners = new Set<(line: string, instanceId: string) => void>();
  readonly #changeListeners = new Set<(state: SupervisorState) => void>();
  #services: string[] = [];
  #waves: string[][] = [];
  /** Services in start order: how instances are listed. */
  #order: string[] = [];
  #phase: SupervisorPhase = 'starting';
  #failure: StartFailureInfo | undefined;
  #monitor: NodeJS.Timeout | undefined;
  #scaling: Promise<unknown> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  readonly #startedAt = Date.now();
  #lastRegistry = '';

  constructor(options: SupervisorOptions) {
    this.#options = options;
  }

  get phase(): SupervisorPhase {
    return this.#phase;
  }

  /** Every log line of every instance, with the id of the instance it came from. */
  onLine(listener: (line: string, instanceId: string) => void): void {
    this.#lineListeners.add(listener);
  }

  onChange(listener: (state: SupervisorState) => void): void {
    this.#changeListeners.add(listener);
  }

  snapshot(): SupervisorState {
    const gateway = this.#services.find((s) => this.#options.manifest.services[s]!.kind === 'gateway');
    return {
      version: 1,
      system: this.#options.manifest.name,
      supervisor: { pid: process.pid, startedAt: this.#startedAt, mode: this.#options.mode, watching: this.#options.watching ?? false },
      phase: this.#phase,
      services: this.#services,
      gatewayUrl: gateway ? `http://127.0.0.1:${this.#options.manifest.services[gateway]!.port}` : undefined,
      failure: this.#failure,
      timeline: this.#options.timeline,
      instances: [...this.#instances.values()]
        .sort((a, b) => this.#order.indexOf(a.service) - this.#order.indexOf(b.service) || a.index - b.index)
        .map(status),
      updatedAt: Date.now(),
    };
  }

  /**
   * Starts the requested services (all when empty) and resolves once every
   * instance is ready. Every process is spawned at once and loads its code
   * beside the others; each service is let through its start gate once the
   * services it calls (for a gateway: every other service) are ready and its
   * database is open, so start order is still dependency order (start-plan.ts).
   * On the first instance that fails, stops the others and rejects with a
   * StartFailure.
   */
  async start(requested: readonly string[]): Promise<void> {
    const { manifest, paths } = this.#options;
    ensureStateDir(paths);
    this.#services = selectServices(manifest, requested);
    this.#waves = startWaves(manifest, this.#services);
    this.#order = this.#waves.flat();
    this.#changed();
    const after = startsAfter(manifest, this.#waves);
    const readyOf = new Map<string, Promise<void>>();
    const launches: Promise<void>[] = [];
    try {
      for (const service of this.#order) {
        const gate = Promise.all([
          ...(after.get(service) ?? []).map((callee) => readyOf.get(callee)!),
          this.#options.infrastructureOpen?.[service] ?? Promise.resolve(),
        ]).then(() => undefined);
        gate.catch(() => {}); // a callee that failed fails the start through its own launch
        const own = initialInstances(manifest, service).map((planned) => {
          const managed = this.#add(planned.service, planned.index, planned.port, true);
          managed.startGate = gate;
          return this.#launch(managed);
        });
        const ready = Promise.all(own).then(() => undefined);
        ready.catch(() => {});
        readyOf.set(service, ready);
        launches.push(...own);
      }
      // The first failure decides: instances still at their gate would wait for it forever.
      await Promise.all(launches);
    } catch (error) {
      if (this.#stopping) return; // stopped during start-up (Ctrl-C, msx down): what failed was stopped by us
      this.#failure = error instanceof StartFailure ? error.info : { service: '', instance: '', reason: 'spawn', message: (error as Error).message, logTail: [] };
      await this.stop();
      this.#phase = 'failed';
      this.#changed();
      throw error instanceof StartFailure ? error : new StartFailure(this.#failure);
    }
    if (this.#stopping) return;
    this.#phase = 'running';
    if (this.#options.timeline) this.#options.timeline.readyAt = Date.now();
    this.#monitor = setInterval(() => void this.#checkReadiness(), this.#options.monitorIntervalMs ?? 2000);
    this.#changed();
  }

  /**
   * Sets the number of instances of each service. New instances join the
   * registry only once ready; removed ones leave the registry first, stay
   * up while balancers drop them, then drain on SIGTERM. Calls are
   * serialised so two scales never race on ports or indexes.
   */
  scale(counts: Readonly<Record<string, number>>): Promise<ScaleChange[]> {
    const run = this.#scaling.then(() => this.#scale(counts));
    this.#scaling = run.catch(() => undefined);
    return run;
  }

  async #scale(counts: Readonly<Record<string, number>>): Promise<ScaleChange[]> {
    if (this.#phase !== 'running') throw new ScaleError('', `the system is ${this.#phase}, not running`);
    for (const [service, count] of Object.entries(counts)) {
      if (!this.#services.includes(service)) throw new ScaleError(service, `service "${service}" is not running (running: ${this.#services.join(', ')})`);
      if (!Number.isInteger(count) || count < 0 || count > 50) throw new ScaleError(service, `the count of ${service} must be an integer from 0 to 50, got ${count}`);
    }
    return Promise.all(Object.entries(counts).map(([service, count]) => this.#scaleService(service, count)));
  }

  async #scaleService(service: string, count: number): Promise<ScaleChange> {
    const current = [...this.#instances.values()].filter((m) => m.service === service && !m.stopping).sort((a, b) => a.index - b.index);
    const from = current.length;
    if (count > from) {
      const inUse = new Set([...this.#instances.values()].map((m) => m.port));
      const started: Managed[] = [];
      for (const index of nextIndexes(current.map((m) => m.index), count - from)) {
        const port = await firstFreePort(scaledPortCandidates(this.#options.manifest, service, index, inUse));
        if (port === undefined) throw new ScaleError(service, `no free port found for ${instanceId(service, index)}`);
        inUse.add(port);
        started.push(this.#add(service, index, port, true));
      }
      const results = await Promise.allSettled(started.map((m) => this.#launch(m)));
      const failed = results.findIndex((r) => r.status === 'rejected');
      if (failed >= 0) {
        // Leave the service as it was: stop the new instances that did come up.
        await Promise.all(started.map((m) => this.#retire(m, 0)));
        throw (results[failed] as PromiseRejectedResult).reason;
      }
      return { service, from, to: count, started: started.map((m) => m.id), stopped: [] };
    }
    const removed = current.slice(count);
    await Promise.all(removed.map((m) => this.#retire(m, this.#options.drainDelayMs ?? 2500)));
    return { service, from, to: count, started: [], stopped: removed.map((m) => m.id) };
  }

  /**
   * Restarts every instance of a service, one at a time, so it keeps
   * serving (after `--watch` rebuilt it). Each instance goes the way a
   * scale-down and a scale-up would: out of the registry, the drain delay,
   * SIGTERM (it finishes in-flight requests), then a new process on the same
   * port that rejoins the registry once ready. A service with a single
   * instance first gets a temporary extra one, started like `msx scale`
   * starts one, so it is never left with none; a gateway does not, since
   * clients reach it on its fixed port. Serialised with `scale`. Resolves
   * with the ids restarted; rejects with a RestartError when a new process
   * does not become ready, leaving the rest of the old instances running.
   */
  restartService(service: string): Promise<string[]> {
    const run = this.#scaling.then(() => this.#restartService(service));
    this.#scaling = run.catch(() => undefined);
    return run;
  }

  async #restartService(service: string): Promise<string[]> {
    if (this.#phase !== 'running') throw new RestartError(service, '', `the system is ${this.#phase}, not running`);
    const originals = [...this.#instances.values()].filter((m) => m.service === service && !m.stopping).sort((a, b) => a.index - b.index);
    if (originals.length === 0) return [];
    const surge = originals.length === 1 && this.#options.manifest.services[service]?.kind !== 'gateway';
    let extra: Managed[] = [];
    if (surge) {
      try {
        const change = await this.#scaleService(service, originals.length + 1);
        extra = change.started.map((id) => this.#instances.get(id)).filter((m): m is Managed => m !== undefined);
      } catch (error) {
        throw new RestartError(service, '', `the rebuilt ${service} did not start: ${(error as Error).message}`);
      }
    }
    const restarted: string[] = [];
    try {
      for (const managed of originals) {
        if (this.#stopping) break;
        await this.#relaunch(managed);
        restarted.push(managed.id);
      }
    } finally {
      if (!this.#stopping) await Promise.all(extra.map((m) => this.#retire(m, this.#options.drainDelayMs ?? 2500)));
    }
    return restarted;
  }

  /**
   * Restarts one instance (the dashboard's restart action): drained and
   * stopped like a scale-down, then a new process on the same port that
   * rejoins the registry once ready; its restart count goes up by one.
   * Serialised with `scale`. Rejects with a RestartError for an unknown
   * instance or one that does not become ready again.
   */
  restartInstance(id: string): Promise<void> {
    const run = this.#scaling.then(async () => {
      if (this.#phase !== 'running') throw new RestartError('', id, `the system is ${this.#phase}, not running`);
      const managed = this.#instances.get(id);
      if (managed === undefined || managed.stopping) throw new RestartError('', id, `no running instance ${id}`);
      await this.#relaunch(managed);
    });
    this.#scaling = run.catch(() => undefined);
    return run;
  }

  /** Replaces an instance's process with a new one on the same port: out of rotation and drained first, back once ready. */
  async #relaunch(managed: Managed): Promise<void> {
    await this.#takeOut(managed, this.#options.drainDelayMs ?? 2500);
    if (this.#stopping) return;
    managed.stopping = false;
    managed.failFast = false; // like a crash restart: a failure is retried with backoff, not fatal to the system
    managed.restarts += 1;
    await this.#launch(managed);
    if (!managed.ready && !this.#stopping) {
      throw new RestartError(managed.service, managed.id, `${managed.id} did not become ready after the restart; it is retried with backoff (msx logs ${managed.id})`);
    }
  }

  /** Takes an instance out of rotation, waits `drainDelayMs`, stops it and forgets it. */
  async #retire(managed: Managed, drainDelayMs: number): Promise<void> {
    await this.#takeOut(managed, drainDelayMs);
    this.#instances.delete(managed.id);
    this.#changed();
  }

  /** Out of the registry first, so balancers drop it; then, after `drainDelayMs`, SIGTERM, which drains in-flight requests. */
  async #takeOut(managed: Managed, drainDelayMs: number): Promise<void> {
    managed.stopping = true;
    managed.ready = false;
    clearTimeout(managed.restartTimer);
    managed.state = 'draining';
    this.#changed();
    if (drainDelayMs > 0) await sleep(drainDelayMs);
    managed.state = 'stopping';
    this.#changed();
    await managed.process?.stop(this.#options.stopTimeoutMs ?? 15_000);
  }

  /**
   * Stops every instance, gateways first (reverse start order), each with
   * SIGTERM and a SIGKILL after the bound. A second call while stopping
   * kills what is left at once.
   */
  stop(): Promise<void> {
    if (this.#stopping) {
      for (const m of this.#instances.values()) m.process?.signal('SIGKILL');
      return this.#stopping;
    }
    this.#stopping = this.#stopAll();
    return this.#stopping;
  }

  async #stopAll(): Promise<void> {
    clearInterval(this.#monitor);
    const previous = this.#phase;
    this.#phase = 'stopping';
    for (const m of this.#instances.values()) {
      m.stopping = true;
      clearTimeout(m.restartTimer);
    }
    this.#changed();
    const order = stopWaves(this.#waves.length > 0 ? this.#waves : [this.#services]);
    for (const wave of order) {
      await Promise.all(
        [...this.#instances.values()].filter((m) => wave.includes(m.service)).map(async (m) => {
          m.ready = false;
          m.state = 'stopping';
          this.#changed();
          await m.process?.stop(this.#options.stopTimeoutMs ?? 15_000);
          m.state = 'stopped';
          this.#changed();
        }),
      );
    }
    this.#phase = previous === 'starting' && this.#failure ? 'failed' : 'stopped';
    this.#changed();
  }

  #add(service: string, index: number, port: number, failFast: boolean): Managed {
    const managed: Managed = {
      id: instanceId(service, index),
      service,
      index,
      port,
      url: `http://127.0.0.1:${port}`,
      process: undefined,
      state: 'starting',
      ready: false,
      restarts: 0,
      crashes: [],
      streak: 0,
      lastExit: undefined,
      failFast,
      startGate: undefined,
      stopping: false,
      restartTimer: undefined,
      failedProbes: 0,
    };
    this.#instances.set(managed.id, managed);
    return managed;
  }

  /**
   * Spawns the instance and resolves when it is ready; rejects with a
   * StartFailure if it fails fast. Its process loads its code at once and
   * asks to start (`msx:loaded`); it is told to (`msx:start`) once its
   * start gate opens. The ready timeout counts from then: the wait for
   * callees is theirs to bound. A process that never asks (a runtime
   * without the gate) simply starts, and is timed from its spawn.
   */
  async #launch(managed: Managed): Promise<void> {
    const { root, manifest, paths } = this.#options;
    const env = instanceEnv({
      manifest,
      service: managed.service,
      instanceId: managed.id,
      port: managed.port,
      paths,
      processEnv: this.#options.processEnv,
      dotEnv: this.#options.dotEnv,
      infrastructureEnv: this.#options.infrastructureEnv?.[managed.service],
    });
    const proc = new InstanceProcess({
      service: managed.service,
      instanceId: managed.id,
      args: instanceArgs(managed.service, env),
      cwd: root,
      logFile: paths.logFile(managed.id),
      onLine: (line) => this.#lineListeners.forEach((listener) => listener(line, managed.id)),
      env: { ...env, [START_GATE_VARIABLE]: '1' },
      onMessage: (message) => {
        const type = (message as { type?: unknown } | null)?.type;
        if (type === 'msx:loaded') onLoaded();
        else if (type === 'msx:listening') nudge.nudge();
        else this.#onMessage(managed, proc, message);
      },
    });
    const spawnedAt = proc.startedAt;
    // The first start of each instance only: restarts and scaling are not the start's critical path.
    let timeline: InstanceTimeline | undefined;
    if (this.#options.timeline && this.#phase === 'starting' && !this.#options.timeline.instances[managed.id]) this.#options.timeline.instances[managed.id] = timeline = { spawnedAt };
    const nudge = new ReadinessNudge();
    /** undefined while the process waits at its gate; else when its ready timeout began. */
    let countingSince: number | undefined = spawnedAt;
    const onLoaded = () => {
      if (timeline) timeline.loadedAt = Date.now();
      const release = () => {
        if (managed.process !== proc || managed.stopping) return;
        countingSince = Date.now();
        if (timeline) timeline.releasedAt = countingSince;
        proc.send({ type: 'msx:start' });
        nudge.nudge();
      };
      if (!managed.startGate) return release();
      countingSince = undefined;
      managed.startGate.then(release, () => {}); // a failed gate: the start is being stopped
    };
    managed.process = proc;
    managed.state = 'starting';
    managed.ready = false;
    this.#changed();

    const exitedEarly = new AbortController();
    void proc.exited.then((exit) => {
      exitedEarly.abort('exited');
      this.#onExit(managed, proc, exit);
    });
    try {
      await waitForReady(managed.id, managed.url, { timeoutMs: this.#options.readyTimeoutMs, signal: exitedEarly.signal, countingSince: () => countingSince, nudge });
    } catch (error) {
      if (managed.stopping) return;
      const reason = error instanceof NotReadyError && error.reason === 'timeout' ? 'timeout' : 'exited';
      if (reason === 'timeout') proc.signal('SIGKILL');
      const exit = reason === 'exited' ? await proc.exited : undefined;
      if (!managed.failFast) return; // a restart that failed: #onExit schedules the next one
      managed.state = 'failed';
      this.#changed();
      await proc.exited;
      const cause = exit ? startupCause(exit) : undefined;
      throw new StartFailure({
        service: managed.service,
        instance: managed.id,
        reason: reason === 'timeout' ? 'timeout' : cause ?? 'exited',
        message: reason === 'timeout'
          ? (error as Error).message
          : this.#listenFailure(managed, cause) ?? `${managed.id} exited before it was ready (${describeExit(exit!)})`,
        logTail: proc.tail(),
      });
    }
    if (managed.stopping || managed.process !== proc) return;
    if (timeline) timeline.readyAt = Date.now();
    managed.failFast = false;
    managed.state = 'ready';
    managed.ready = true;
    managed.failedProbes = 0;
    this.#changed();
  }

  /**
   * An instance that began shutting down (a SIGTERM from outside, or ours)
   * says so: it leaves the registry now, while it still accepts connections,
   * and is told how long readers need to see that (nothing more if we had
   * taken it out already). Its exit then counts as any unexpected exit.
   */
  #onMessage(managed: Managed, proc: InstanceProcess, message: unknown): void {
    if ((message as { type?: unknown } | null)?.type !== 'msx:draining' || managed.process !== proc) return;
    const alreadyOut = managed.stopping || this.#stopping !== undefined || managed.state === 'draining';
    if (!alreadyOut) {
      managed.ready = false;
      managed.state = 'draining';
      this.#changed();
    }
    proc.send({ type: 'msx:drain-ack', delayMs: alreadyOut ? 0 : REGISTRY_SETTLE_MS });
  }

  #onExit(managed: Managed, proc: InstanceProcess, exit: InstanceExit): void {
    if (managed.process !== proc) return;
    managed.ready = false;
    managed.lastExit = { code: exit.code, signal: exit.signal, at: Date.now() };
    if (managed.stopping || this.#stopping) {
      managed.state = 'stopped';
      this.#changed();
      return;
    }
    if (managed.failFast) {
      this.#changed(); // #launch reports it
      return;
    }
    const now = Date.now();
    const decision = nextRestart({ crashes: managed.crashes, streak: managed.streak }, now, now - proc.startedAt, this.#options.restartPolicy ?? DEFAULT_RESTART_POLICY);
    managed.crashes = decision.crashes;
    managed.streak = decision.streak;
    managed.state = decision.crashLoop ? 'crash-loop' : 'backoff';
    // Counted at the crash, so `msx ps` during the backoff agrees with the log line that announces the restart.
    managed.restarts += 1;
    const why = this.#listenFailure(managed, startupCause(exit));
    const message = (decision.crashLoop
      ? `crash loop: ${decision.crashes.length} crashes in the last minute; restarting in ${Math.round(decision.delayMs / 1000)}s`
      : `exited unexpectedly (${describeExit(exit)}); restarting in ${decision.delayMs}ms`) + (why ? ` (${why})` : '');
    this.#note(managed, supervisorLine(managed.service, managed.id, decision.crashLoop ? 'error' : 'warn', message, { exitCode: exit.code, signal: exit.signal, restarts: managed.restarts }));
    this.#changed();
    managed.restartTimer = setTimeout(() => {
      if (managed.stopping || this.#stopping) return;
      void this.#launch(managed).catch(() => undefined);
    }, decision.delayMs);
  }

  /** The clear sentence for an instance that could not listen (its exit code says so), naming who holds the port. */
  #listenFailure(managed: Managed, cause: ReturnType<typeof startupCause>): string | undefined {
    const spec = this.#options.manifest.services[managed.service];
    return listenFailureMessage(cause, managed.service, managed.port, spec?.port === managed.port);
  }

  /**
   * Adds a supervisor line about a whole service (a rebuild, a build error)
   * to the log of its first instance, so `msx logs <service>` and the
   * foreground output show it once rather than once per instance.
   */
  noteService(service: string, level: 'info' | 'warn' | 'error', message: string, fields: Record<string, unknown> = {}): void {
    const first = [...this.#instances.values()].filter((m) => m.service === service).sort((a, b) => a.index - b.index)[0];
    if (first) this.#note(first, supervisorLine(service, first.id, level, message, fields));
  }

  /** Adds a supervisor line (a crash, a restart) to the instance's log, where `msx logs` shows it beside the instance's own lines. */
  #note(managed: Managed, line: string): void {
    try {
      appendFileSync(this.#options.paths.logFile(managed.id), `${line}\n`);
    } catch {
      // the log folder is gone: the line still reaches listeners
    }
    this.#lineListeners.forEach((listener) => listener(line, managed.id));
  }

  /** Re-probes running instances so one that stops answering /ready leaves the registry until it recovers. */
  async #checkReadiness(): Promise<void> {
    const running = [...this.#instances.values()].filter((m) => (m.state === 'ready' || m.state === 'unready') && !m.stopping);
    await Promise.all(running.map(async (m) => {
      const ok = await probeReady(m.url, 1500);
      if (m.stopping || (m.state !== 'ready' && m.state !== 'unready')) return;
      m.failedProbes = ok ? 0 : m.failedProbes + 1;
      const ready = ok || (m.ready && m.failedProbes < 2);
      if (ready !== m.ready) {
        m.ready = ready;
        m.state = ready ? 'ready' : 'unready';
        this.#changed();
      }
    }));
  }

  /** Persists state and registry and tells listeners; called after every change. */
  #changed(): void {
    const state = this.snapshot();
    try {
      writeState(this.#options.paths, state);
      const registry = JSON.stringify(registryContent(this.#services, state.instances));
      if (registry !== this.#lastRegistry) {
        writeRegistry(this.#options.paths.registryFile, JSON.parse(registry));
        this.#lastRegistry = registry;
      }
    } catch {
      // .msx removed under us (e.g. down --volumes racing): keep supervising.
    }
    this.#changeListeners.forEach((listener) => listener(state));
  }
}

function status(m: Managed): LocalInstance {
  return {
    id: m.id,
    service: m.service,
    pid: m.state === 'stopped' || m.state === 'failed' || m.state === 'backoff' || m.state === 'crash-loop' ? undefined : m.process?.pid,
    port: m.port,
    url: m.url,
    state: m.state,
    ready: m.ready,
    restarts: m.restarts,
    startedAt: m.process?.startedAt,
    lastExit: m.lastExit,
  };
}

/** Set in every instance's environment: its runtime waits at the start gate (runtime/src/service/startGate.ts). */
const START_GATE_VARIABLE = 'MSX_START_GATE';

/**
 * How long an instance that left the registry keeps accepting connections:
 * readers see the rewritten file at once through fs.watch; this covers a
 * reader busy at that moment and requests already on their way.
 */
const REGISTRY_SETTLE_MS = 1000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

