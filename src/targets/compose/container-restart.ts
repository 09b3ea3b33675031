import { setTimeout as sleep } from 'node:timers/promises';
import type Docker from 'dockerode';
import { CliError, usageError } from '../../errors/cli-error.js';
import { systemContainers } from './compose-containers.js';
import { lastLogLines } from './last-log-lines.js';

/** How long a restarted container has to be running and healthy again. */
const RESTART_TIMEOUT_MS = 180_000;
const POLL_MS = 500;

/**
 * Restarts one service container the way the engine restarts a crashed one,
 * so `msx ps` counts it: a SIGTERM to the container's init (tini, from
 * `init: true`), which forwards it to node; the service drains (fails
 * /ready, serves through its SHUTDOWN_DELAY_MS while the gateway's discovery
 * lets go, finishes what is in flight) and exits, and the restart policy
 * (unless-stopped) starts it again with one more RestartCount.
 *
 * Neither `docker restart` nor `docker kill` would do: the engine counts
 * neither as a restart, and a signal sent through the engine marks the
 * container stopped by hand, so its policy would leave it down. The signal
 * is sent from inside the container (by its own node, as its own user), so
 * this works on a remote engine too.
 */
export async function restartContainer(docker: Docker, project: string, services: readonly string[], instance: string): Promise<void> {
  const container = (await systemContainers(docker, project, { services })).find((c) => c.instance === instance);
  if (!container) throw usageError(`no instance ${instance} of the system runs on compose`, 'msx ps lists the instances');
  if (container.state !== 'running') throw new CliError(`${instance} is ${container.state}, not running: there is nothing to restart`, { exitCode: 1, hint: `msx logs ${container.service} shows why; msx up --target compose starts what is missing` });
  const handle = docker.getContainer(container.containerId);
  const before = (await handle.inspect()).RestartCount ?? 0;
  const exec = await handle.exec({ Cmd: ['node', '-e', "process.kill(1, 'SIGTERM')"], AttachStdout: true, AttachStderr: true });
  const stream = await exec.start({ hijack: true, stdin: false });
  await new Promise<void>((resolve) => {
    stream.on('end', resolve).on('close', resolve).on('error', () => resolve());
    stream.resume();
  });
  const { ExitCode } = await exec.inspect();
  if (ExitCode !== 0) throw new CliError(`${instance} could not be signalled (the signal's exec exited ${ExitCode})`, { exitCode: 1, hint: `the image needs node on its PATH (msx's Dockerfile has it); docker restart ${container.name} restarts it without msx ps counting it` });

  const deadline = Date.now() + RESTART_TIMEOUT_MS;
  for (;;) {
    const info = await handle.inspect().catch(() => undefined);
    const health = info?.State.Health?.Status;
    if (info && (info.RestartCount ?? 0) > before && info.State.Running && (health === undefined || health === 'healthy')) return;
    if (Date.now() > deadline) {
      const lines = await lastLogLines(docker, project, instance, 15);
      throw new CliError(`${instance} was not running and healthy again within ${RESTART_TIMEOUT_MS / 1000}s of its restart (${info?.State.Status ?? 'gone'}${health ? `, ${health}` : ''})`, {
        exitCode: 1,
        details: lines.length > 0 ? [`last log lines of ${instance}:`, ...lines] : [],
        hint: `msx ps shows the containers; msx logs ${container.service} shows why`,
      });
    }
    await sleep(POLL_MS);
  }
}
