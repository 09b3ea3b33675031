import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { normalizeLine } from '../../logs/log-line.js';

export interface InstanceProcessOptions {
  readonly service: string;
  readonly instanceId: string;
  /** argv after the node executable, e.g. `['services/users/dist/src/main.js']`. */
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** The instance's log file, appended to. */
  readonly logFile: string;
  /** Every normalised line, after it is written to the log file. */
  readonly onLine: (line: string) => void;
  /** Messages the instance sends over its IPC channel (the runtime's `msx:draining`). */
  readonly onMessage?: (message: unknown) => void;
}

export interface InstanceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The descriptor of the supervisor pipe in the instance; named to it by `MSX_SUPERVISOR_FD`. */
export const SUPERVISOR_FD = 4; // 3 is the IPC channel

/** How many of the last lines are kept for a failure report. */
const TAIL_LINES = 30;

/**
 * One running instance: the only place the local target spawns a service.
 * It runs `node <args>` with the given environment in its own process group
 * (so a Ctrl-C in the terminal reaches the supervisor alone, which then
 * stops instances in order, instead of every instance getting SIGINT at once
 * and a second signal from the supervisor forcing them down), and turns its
 * stdout and stderr into JSON lines in its log file.
 *
 * Output goes through pipes rather than straight into the file so the
 * supervisor sees each line (foreground display, failure reports).
 * An IPC channel carries the few messages that are not log lines: an
 * instance that got SIGTERM from outside says it is draining, so the
 * supervisor takes it out of the registry before its listener closes.
 * A last pipe, fd `SUPERVISOR_FD` in the instance, carries nothing: the
 * kernel closes its end here however the supervisor dies (SIGKILL
 * included), and the runtime's supervisor watch
 * (runtime/src/service/supervisorWatch.ts) then drains and exits the
 * instance, so none outlives its supervisor.
 */
export class InstanceProcess {
  readonly child: ChildProcess;
  readonly startedAt = Date.now();
  /** Resolves once the process has exited and its output is flushed. */
  readonly exited: Promise<InstanceExit>;
  readonly #tail: string[] = [];
  readonly #log: WriteStream;

  constructor(readonly options: InstanceProcessOptions) {
    this.#log = createWriteStream(options.logFile, { flags: 'a' });
    this.#log.on('error', () => {}); // a full disk must not crash the supervisor
    this.child = spawn(process.execPath, [...options.args], {
      cwd: options.cwd,
      env: { ...options.env, MSX_SUPERVISOR_FD: String(SUPERVISOR_FD) },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe'],
      detached: true,
    });
    this.child.on('message', (message) => options.onMessage?.(message));
    // A child that died leaves a closed channel; a send racing its exit must not crash the supervisor.
    this.child.on('error', () => {});
    // Our end of the supervisor pipe: held open, never written; closed once the instance is gone so restarts leak no descriptors.
    const supervisorPipe = this.child.stdio[SUPERVISOR_FD] as (NodeJS.ReadableStream & { destroy(): void }) | null;
    supervisorPipe?.on('error', () => {});
    this.child.once('exit', () => supervisorPipe?.destroy());
    const streams = [this.#lines(this.child.stdout!, 'stdout'), this.#lines(this.child.stderr!, 'stderr')];
    const exit = new Promise<InstanceExit>((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      // A failed spawn (ENOENT, EAGAIN) emits 'error' and no 'exit'.
      this.child.once('error', () => resolve({ code: null, signal: null }));
    });
    this.exited = Promise.all([exit, ...streams]).then(([result]) => new Promise<InstanceExit>((resolve) => this.#log.end(() => resolve(result))));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** The last lines of output, for saying why an instance failed. */
  tail(): readonly string[] {
    return [...this.#tail];
  }

  /** Sends a message over the IPC channel; silently nothing if the instance is gone. */
  send(message: object): void {
    if (!this.child.connected) return;
    try {
      this.child.send(message, (error) => void error);
    } catch {
      // channel closed while we sent
    }
  }

  signal(signal: NodeJS.Signals): void {
    try {
      this.child.kill(signal);
    } catch {
      // already gone
    }
  }

  /**
   * SIGTERM, then SIGKILL if it has not exited after `timeoutMs`. The service
   * kit drains in-flight requests on SIGTERM, so the bound must exceed its
   * SHUTDOWN_TIMEOUT_MS.
   */
  async stop(timeoutMs: number): Promise<InstanceExit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  #lines(stream: NodeJS.ReadableStream, name: 'stdout' | 'stderr'): Promise<void> {
    const reader = createInterface({ input: stream, crlfDelay: Infinity });
    reader.on('line', (text) => {
      if (text === '') return;
      const line = normalizeLine(text, name, this.options.service, this.options.instanceId, Date.now());
      this.#tail.push(line);
      if (this.#tail.length > TAIL_LINES) this.#tail.shift();
      this.#log.write(`${line}\n`);
      this.options.onLine(line);
    });
    return new Promise((resolve) => reader.once('close', resolve));
  }
}
