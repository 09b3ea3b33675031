/**
 * The one interface that `msx up`, `down`, `ps`, `logs`, `scale`, `trace`
 * and `metrics` go through. Commands never know which target runs the
 * system: nothing here names a process, a container or a pod. What only one
 * target has (a pid, a container id, a node) travels in
 * {@link InstanceStatus.details}, which `ps` shows as columns without
 * knowing what they mean. Adding a target is adding a folder beside
 * `local/` that implements this, and a line in resolve-target.ts.
 */
import type { Trace } from '../observability/trace-model.js';

/** Lifecycle of one instance as a target reports it. */
export type InstanceState =
  | 'starting'   // spawned, /ready not yet 200
  | 'ready'      // serving, listed in discovery
  | 'unready'    // running, but /ready stopped answering 200
  | 'backoff'    // crashed; waits before the next restart
  | 'crash-loop' // crashed too often in a short time; still retried, slowly
  | 'draining'   // removed from discovery, finishing in-flight requests
  | 'stopping'
  | 'stopped'
  | 'failed'     // never became ready during `up`
  | 'orphaned';  // still running although what supervised it is gone; `msx down` stops it

/** Whether an instance in this state is running something (so has an uptime, uses CPU). */
export function isRunningState(state: InstanceState): boolean {
  return state !== 'stopped' && state !== 'failed' && state !== 'backoff' && state !== 'crash-loop';
}

export interface InstanceStatus {
  /** Unique in the system, `<service>-<n>` on every target. */
  readonly id: string;
  readonly service: string;
  readonly state: InstanceState;
  /** Answers /ready with 200 (locally) or is reported healthy (containers). */
  readonly ready: boolean;
  readonly restarts: number;
  /** When the instance's current run started, ms since epoch; undefined while it does not run. */
  readonly startedAt: number | undefined;
  /** An address of this instance reachable from the operator's machine, when it has one. */
  readonly url?: string | undefined;
  readonly lastExit?: { readonly code: number | null; readonly signal: string | null; readonly at: number } | undefined;
  /** CPU use over a short sample, percent of one core; absent where the target cannot measure it. */
  readonly cpuPercent?: number | undefined;
  /** Resident memory, bytes. */
  readonly memoryBytes?: number | undefined;
  /**
   * What only this target knows about the instance (pid and port locally,
   * container id and name on compose, pod and node on Kubernetes), in the
   * order `ps` shows them as columns.
   */
  readonly details: Readonly<Record<string, string | number>>;
}

export interface UpOptions {
  /** Start only these services (and what they call); default all. */
  readonly services: readonly string[];
  /** Keep running in the background after every instance is ready. */
  readonly detach: boolean;
  /** How long one instance may take to answer /ready with 200, ms. */
  readonly readyTimeoutMs: number;
  /** Rebuild and restart a service when its source changes (`msx up --watch`). */
  readonly watch?: boolean;
  /** Aborting it during start-up stops what already started (Ctrl-C before everything is ready). */
  readonly signal?: AbortSignal;
  /**
   * Work that must come before anything starts but only once the target
   * knows the system is not already running (msx up brings the files msx
   * owns in line with msx.yaml and rebuilds what they changed): an `up` of a
   * running system is refused before it, so it changes nothing.
   */
  readonly prepare?: () => Promise<void>;
}

/** What `up` tells its caller while it starts instances, for progress display. */
export interface UpProgress {
  /** Called once, before anything starts, with the services in start order. */
  onPlan(services: readonly string[]): void;
  /** Called whenever any instance changes state. */
  onChange(instances: readonly InstanceStatus[]): void;
}

export interface UpResult {
  readonly instances: readonly InstanceStatus[];
  /** The gateway's URL when the system has one. */
  readonly gatewayUrl: string | undefined;
  /** Present when the system runs in this process (foreground); absent when detached. */
  readonly attached?: AttachedRun;
}

/** A run owned by this process: its logs, and a way to stop it. */
export interface AttachedRun {
  /** Every log line of every instance, as written to the log files (JSON text), with the instance's id. */
  onLog(listener: (line: string, instanceId: string) => void): void;
  /** Stops every instance gracefully; a second call escalates to SIGKILL. */
  stop(): Promise<void>;
  /** The instances as they are now (scaling may have changed them since `up`). */
  instances(): readonly InstanceStatus[];
  /** Resolves when the run has ended (stopped here or by `msx down`). */
  readonly ended: Promise<void>;
}

export interface DownOptions {
  /** Also delete the system's data (embedded infrastructure's files, volumes). */
  readonly volumes: boolean;
}

export interface DownResult {
  /** Whether anything was running. */
  readonly wasRunning: boolean;
  readonly stopped: readonly string[];
  readonly removedData: boolean;
}

export interface ScaleChange {
  readonly service: string;
  readonly from: number;
  readonly to: number;
  readonly started: readonly string[];
  readonly stopped: readonly string[];
  /** What the target did, when not a list of instances (Kubernetes: moved the autoscaler's minimum). */
  readonly note?: string | undefined;
}

export interface LogQuery {
  /** Service names or instance ids; empty for all. */
  readonly sources: readonly string[];
  readonly follow: boolean;
  /** Only lines at or after this time, ms since epoch. */
  readonly since: number | undefined;
  /** Lowest level shown, as a pino number (30 info, 40 warn, …). */
  readonly minLevel: number | undefined;
  readonly grep: string | undefined;
  readonly trace: string | undefined;
  /** Only the last N matching lines before following. */
  readonly tail: number | undefined;
}

/** One parsed log line. */
export interface LogEntry {
  readonly raw: string;
  readonly time: number;
  readonly level: number;
  readonly service: string;
  readonly instance: string;
  readonly msg: string;
  readonly fields: Readonly<Record<string, unknown>>;
}

/** One instance whose Prometheus metrics can be read. */
export interface MetricsEndpoint {
  readonly service: string;
  readonly instance: string;
}

/** Where `msx metrics` reads: the target knows how its instances are reached. */
export interface MetricsSource {
  /** The instances serving metrics now (scaling and restarts change them); empty when nothing runs. */
  endpoints(): Promise<readonly MetricsEndpoint[]>;
  /** One instance's `/metrics` text; undefined when it does not answer in `timeoutMs`. */
  scrape(endpoint: MetricsEndpoint, timeoutMs: number): Promise<string | undefined>;
}

/** Where `msx trace` reads the spans the system's collector kept. */
export interface TraceSource {
  /** Where the spans are, for messages ("in .msx/traces", "in the msx-collector container"). */
  readonly location: string;
  /** The newest `limit` traces, newest first; every kept trace when `limit` is undefined. */
  recent(limit?: number): Promise<Trace[]>;
}

/** One call to an instance's admin surface (`/_msx/…`, served by the runtime in every service). */
export interface AdminRequest {
  readonly method: 'GET' | 'POST';
  /** Path and query under the instance, starting with `/_msx/`. */
  readonly path: string;
  /** A service token for the instance's service, issuer `msx`. */
  readonly token: string;
  readonly timeoutMs: number;
}

export interface AdminResponse {
  readonly status: number;
  readonly body: string;
}

/** Where the dashboard and `msx events` reach each instance's admin surface: the target knows how. */
export interface AdminSource {
  /** The instances serving now; empty when nothing runs. */
  endpoints(): Promise<readonly MetricsEndpoint[]>;
  /** undefined when the instance does not answer within `timeoutMs`. */
  request(endpoint: MetricsEndpoint, request: AdminRequest): Promise<AdminResponse | undefined>;
}

export interface Target {
  /** The target's name as `--target` takes it: `local`, `compose`, `kubernetes`. */
  readonly kind: string;
  up(options: UpOptions, progress: UpProgress): Promise<UpResult>;
  down(options: DownOptions): Promise<DownResult>;
  ps(): Promise<readonly InstanceStatus[]>;
  /** Writes matching entries in time order; with `follow`, keeps going until `signal` aborts. */
  logs(query: LogQuery, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void>;
  scale(counts: Readonly<Record<string, number>>): Promise<readonly ScaleChange[]>;
  /**
   * Replaces one instance (by id) with a fresh run of it; resolves once it
   * is ready again. Locally and on compose the fresh run keeps the id and
   * counts one more restart; where it is a new instance (a Kubernetes pod
   * replaced by its controller) it resolves with the new id. Optional while
   * a target has no way to do it (the dashboard then offers no restart).
   */
  restart?(instance: string): Promise<string | void>;
  traces(): TraceSource;
  metrics(): MetricsSource;
  admin(): AdminSource;
}
