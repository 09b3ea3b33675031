/**
 * The one interface that `msx up`, `down`, `ps`, `logs` and `scale` go
 * through. Commands never know which target runs the system; adding a target
 * (compose, kubernetes) is adding a folder beside `local/` that implements it.
 */

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
  | 'orphaned';  // still running although its supervisor died; `msx down` stops it

export interface InstanceStatus {
  readonly id: string;
  readonly service: string;
  readonly pid: number | undefined;
  readonly port: number;
  readonly url: string;
  readonly state: InstanceState;
  readonly ready: boolean;
  readonly restarts: number;
  /** When the current process started, ms since epoch. */
  readonly startedAt: number | undefined;
  readonly lastExit?: { readonly code: number | null; readonly signal: string | null; readonly at: number } | undefined;
  /** CPU use over a short sample, percent of one core; absent where the target cannot measure it. */
  readonly cpuPercent?: number | undefined;
  /** Resident memory, bytes. */
  readonly memoryBytes?: number | undefined;
  /** The machine the instance runs on, where the target spreads instances over several (a Kubernetes node). */
  readonly node?: string | undefined;
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
  /** Also delete the data of the embedded infrastructure. */
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

export interface Target {
  /** `local`, `kubernetes`: for messages; commands never branch on it. */
  readonly kind: string;
  up(options: UpOptions, progress: UpProgress): Promise<UpResult>;
  down(options: DownOptions): Promise<DownResult>;
  ps(): Promise<readonly InstanceStatus[]>;
  /** Writes matching entries in time order; with `follow`, keeps going until `signal` aborts. */
  logs(query: LogQuery, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void>;
  scale(counts: Readonly<Record<string, number>>): Promise<readonly ScaleChange[]>;
}
