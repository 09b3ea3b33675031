import { execa } from 'execa';
import { withTimeout, type Probe, type ProbeResult } from './probe.js';

/**
 * What `msx doctor` finds about containers: the engine (through the API, as
 * `msx build` reaches it), and the CLI pieces the compose target and builds use
 * (compose v2 as a docker plugin, compose v1 as its own program, buildx). Each
 * says what its absence prevents, since several of them stand in for another.
 */

/** Python's compose v1 takes seconds to start on a busy machine: a short limit would misreport it. */
const CLI_TIMEOUT_MS = 15_000;
// A dead engine fails at once (no socket, refused); this bounds only a hung one, generously for a loaded machine.
const ENGINE_TIMEOUT_MS = 10_000;

/** Runs a version command; its trimmed stdout, or the reason it gave none. */
async function versionOf(file: string, args: readonly string[]): Promise<{ version: string } | { missing: string }> {
  try {
    const { stdout } = await execa(file, [...args], { timeout: CLI_TIMEOUT_MS, stdin: 'ignore', env: { DOCKER_CLI_HINTS: 'false' } });
    const version = stdout.trim().split('\n')[0]!.trim();
    return version ? { version } : { missing: `"${file} ${args.join(' ')}" printed nothing` };
  } catch (error) {
    const failure = error as { code?: string; timedOut?: boolean; stderr?: string };
    if (failure.code === 'ENOENT') return { missing: `"${file}" not found on PATH` };
    if (failure.timedOut) return { missing: `"${file} ${args.join(' ')}" did not answer within ${CLI_TIMEOUT_MS / 1000} s` };
    const said = String(failure.stderr ?? '').trim().split('\n')[0];
    return { missing: said ? `"${file} ${args.join(' ')}" failed: ${said}` : `"${file} ${args.join(' ')}" failed` };
  }
}

function once<T>(work: () => Promise<T>): () => Promise<T> {
  let result: Promise<T> | undefined;
  return () => (result ??= work());
}

// Both compose probes need to know whether the other form is there.
const composeV2 = once(() => versionOf('docker', ['compose', 'version', '--short']));
const composeV1 = once(() => versionOf('docker-compose', ['version', '--short']));

async function dockerdInstalled(): Promise<boolean> {
  return execa('dockerd', ['--version'], { timeout: CLI_TIMEOUT_MS, stdin: 'ignore' }).then(() => true, () => false);
}

/** How to get an engine answering, from what this machine has. */
async function howToStartEngine(): Promise<string> {
  if (process.env.DOCKER_HOST) return `start the engine DOCKER_HOST points at, or unset DOCKER_HOST to use the local one`;
  if (await dockerdInstalled()) return 'start it: "sudo systemctl start docker", or without systemd "sudo dockerd &"';
  return 'install Docker (Debian/Ubuntu: "sudo apt-get install docker.io", or Docker Desktop) and start it';
}

export const engineProbe: Probe = async () => {
  const name = 'Docker engine';
  // Loaded here, not at the top: dockerode is not loaded for the rest of msx's commands.
  const { dockerEngine, engineAddress } = await import('../containers/docker-engine.js');
  try {
    const version = await withTimeout(dockerEngine().version(), ENGINE_TIMEOUT_MS, 'the Docker engine');
    return {
      name,
      ok: true,
      detail: `${version.Version} (API ${version.ApiVersion}) at ${engineAddress()}`,
      impact: 'msx build and msx up --target compose can build and run containers',
    };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no socket there' : code === 'ECONNREFUSED' ? 'connection refused' : code ?? (error as Error).message.split('\n')[0];
    return {
      name,
      ok: false,
      detail: `not reachable at ${engineAddress()} (${why})`,
      impact: `no msx build and no compose target (msx up --target compose); ${await howToStartEngine()}. The local target needs no Docker`,
    };
  }
};

export const composeV2Probe: Probe = async (): Promise<ProbeResult> => {
  const name = 'docker compose (v2)';
  const [v2, v1] = await Promise.all([composeV2(), composeV1()]);
  if ('version' in v2) return { name, ok: true, detail: v2.version, impact: 'the compose target runs the system with it (preferred over v1)' };
  return {
    name,
    ok: false,
    detail: v2.missing,
    impact: 'version' in v1
      ? 'the compose target falls back to docker-compose v1; install the compose plugin for up --wait and JSON output'
      : 'no compose target (msx up --target compose): install the docker compose plugin',
  };
};

export const composeV1Probe: Probe = async (): Promise<ProbeResult> => {
  const name = 'docker-compose (v1)';
  const [v2, v1] = await Promise.all([composeV2(), composeV1()]);
  if ('version' in v1) {
    return { name, ok: true, detail: v1.version, impact: 'version' in v2 ? 'not needed: compose v2 is used; kept as the fallback' : 'the compose target runs the system with it' };
  }
  return {
    name,
    ok: false,
    detail: v1.missing,
    impact: 'version' in v2 ? 'nothing lost: the compose target uses docker compose v2' : 'no compose target (msx up --target compose): install the docker compose plugin',
  };
};

export const buildxProbe: Probe = async (): Promise<ProbeResult> => {
  const name = 'docker buildx';
  const found = await versionOf('docker', ['buildx', 'version']);
  if ('version' in found) {
    // "github.com/docker/buildx 0.13.1 <commit>": the second word is the version.
    const version = found.version.split(/\s+/)[1] ?? found.version;
    return { name, ok: true, detail: version, impact: 'builds through the docker CLI (docker build, compose build) can use BuildKit' };
  }
  return {
    name,
    ok: false,
    detail: found.missing,
    impact: 'builds through the docker CLI use the legacy builder (no BuildKit: no COPY --chmod, no cache mounts; DOCKER_BUILDKIT=1 fails)',
  };
};
