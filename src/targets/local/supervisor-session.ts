import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import { ensureSystemSecrets } from '../../secrets/system-secrets.js';
import { startControlServer } from './control-server.js';
import { startEmbeddedInfrastructure } from './embedded-infrastructure.js';
import type { LocalPaths } from './local-paths.js';
import { SourceReloader } from './source-reloader.js';
import { newStartTimeline, type StartTimeline } from './start-timeline.js';
import { ensureStateDir, writeControl } from './state-store.js';
import { SupervisorLock } from './supervisor-lock.js';
import { Supervisor } from './supervisor.js';

export interface SessionOptions {
  readonly root: string;
  readonly manifest: Manifest;
  readonly paths: LocalPaths;
  readonly mode: 'foreground' | 'detached';
  readonly services: readonly string[];
  readonly readyTimeoutMs: number;
  /** `--watch`: once every instance is ready, rebuild and restart a service when its source changes. */
  readonly watch?: boolean;
  /** Where the start's steps are recorded; default one beginning with this process. */
  readonly timeline?: StartTimeline;
}

/** A supervisor with its control channel: one `msx up`, in this process. */
export interface SupervisorSession {
  readonly supervisor: Supervisor;
  /** Resolves when every instance is ready; rejects with a StartFailure. */
  readonly started: Promise<void>;
  /** Resolves when the session has stopped, whoever asked (Ctrl-C, `msx down`, a failed start). */
  readonly ended: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Opens a session: fresh log files, the control channel, then the start
 * sequence. Both `msx up` in the foreground and the background supervisor
 * run exactly this, so `ps`, `logs`, `scale` and `down` work the same on
 * either.
 */
export async function openSession(options: SessionOptions): Promise<SupervisorSession> {
  const { paths } = options;
  const timeline = options.timeline ?? newStartTimeline();
  timeline.sessionOpenedAt = Date.now();
  ensureStateDir(paths);
  for (const name of readdirSync(paths.logsDir)) if (name.endsWith('.log')) rmSync(join(paths.logsDir, name), { force: true });

  // .env, or the selected environment's .env.<name> (completed by msx up before it got here).
  const dotEnv = ensureSystemSecrets(options.root, options.manifest).values;
  const infrastructure = await startEmbeddedInfrastructure({ manifest: options.manifest, paths, env: { ...dotEnv, ...process.env } });
  timeline.infrastructureListeningAt = Date.now();
  const supervisor = new Supervisor({
    root: options.root,
    manifest: options.manifest,
    paths,
    dotEnv,
    processEnv: process.env,
    infrastructureEnv: infrastructure.serviceEnv,
    infrastructureOpen: infrastructure.open,
    timeline,
    mode: options.mode,
    readyTimeoutMs: options.readyTimeoutMs,
    watching: options.watch ?? false,
  });
  let reloader: SourceReloader | undefined;

  let endSession!: () => void;
  const ended = new Promise<void>((resolve) => (endSession = resolve));
  let stopping: Promise<void> | undefined;
  const control = await startControlServer(supervisor, () => void stop());
  writeControl(paths, control.info);

  function stop(): Promise<void> {
    if (stopping) {
      void supervisor.stop(); // a second request escalates to SIGKILL
      return stopping;
    }
    stopping = (async () => {
      reloader?.close();
      await supervisor.stop();
      await infrastructure.close();
      rmSync(paths.controlFile, { force: true });
      await control.close();
      new SupervisorLock(paths.lockFile).release(); // taken by `msx up` for this session
      endSession();
    })();
    return stopping;
  }

  // An engine that cannot open stops the start with its own error (a full disk says so), not with
  // what its service made of a closed connection.
  let infrastructureFailure: { error: unknown } | undefined;
  infrastructure.ready.then(
    () => { timeline.enginesOpenAt = Date.now(); },
    (error: unknown) => {
      infrastructureFailure = { error };
      void stop();
    },
  );
  const started = supervisor.start(options.services).then(
    () => {
      if (infrastructureFailure) throw infrastructureFailure.error;
      // Watching starts only once the system is up: an edit during start-up is picked up by the build the user just ran.
      if (!options.watch || stopping) return;
      reloader = new SourceReloader({ root: options.root, supervisor, services: supervisor.snapshot().services });
      reloader.start();
    },
    async (error: unknown) => {
      await stop();
      throw infrastructureFailure ? infrastructureFailure.error : error;
    },
  );
  return { supervisor, started, ended, stop };
}
