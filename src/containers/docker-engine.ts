import { createRequire } from 'node:module';
import type Docker from 'dockerode';
import type DockerModem from 'docker-modem';
import { CliError } from '../errors/cli-error.js';

/**
 * The one place msx makes a Docker engine client. It honours DOCKER_HOST
 * (unix://, tcp://, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH) the way the
 * docker CLI does, because dockerode's modem reads the same variables.
 *
 * dockerode (with the gRPC, protobuf and SSH stacks it loads) is required
 * here, when the first client is made, not when this module is imported:
 * loading it costs more CPU than node's own start, and most commands that
 * can reach this module (msx render, msx ps on another target) never talk
 * to an engine. It is a CommonJS package, so a synchronous require works.
 */
export function dockerEngine(): Docker {
  const DockerClient = createRequire(import.meta.url)('dockerode') as typeof Docker;
  return new DockerClient();
}

/**
 * The image's id in the engine, or undefined when the engine does not have
 * it or does not answer within `timeoutMs`. One GET /images/{name}/json
 * through docker-modem, dockerode's own transport (the same DOCKER_HOST,
 * TLS and SSH handling), without loading the rest of dockerode: commands
 * that only need this id (msx render computes the images' content tags)
 * skip dockerode's gRPC and protobuf stacks.
 */
export async function imageIdInEngine(ref: string, timeoutMs: number): Promise<string | undefined> {
  const Modem = createRequire(import.meta.url)('docker-modem') as typeof DockerModem;
  const modem = new Modem({ timeout: timeoutMs });
  return new Promise((resolve) => {
    modem.dial({ path: `/images/${ref}/json`, method: 'GET', statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } }, (error, info) => {
      resolve(error ? undefined : ((info as { Id?: unknown } | undefined)?.Id as string | undefined));
    });
  });
}

/** Where the engine is expected, for messages: DOCKER_HOST or the default socket. */
export function engineAddress(): string {
  return process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock';
}

/** How long a ping may take before the engine counts as not answering. */
const PING_TIMEOUT_MS = 5000;

/**
 * A client for an engine that answers: pings it first, so a stopped or
 * missing engine is one clear error (exit 1, with how to start it) instead of
 * an ECONNREFUSED halfway through a build.
 */
export async function connectedEngine(options: { purpose?: string } = {}): Promise<Docker> {
  const docker = dockerEngine();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      docker.ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${PING_TIMEOUT_MS / 1000} s`)), PING_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    throw engineUnavailable(error, options.purpose);
  } finally {
    clearTimeout(timer);
  }
  return docker;
}

/** The error for an engine that does not answer at `engineAddress()`. */
export function engineUnavailable(error: unknown, purpose = 'this command'): CliError {
  const reason = error instanceof Error ? ((error as NodeJS.ErrnoException).code ?? error.message) : String(error);
  return new CliError(`the Docker engine at ${engineAddress()} does not answer (${reason}); ${purpose} needs it`, {
    exitCode: 1,
    hint: process.env.DOCKER_HOST
      ? 'start the engine DOCKER_HOST points at, or unset DOCKER_HOST to use the local one; msx doctor shows what is found'
      : 'start Docker (e.g. "sudo systemctl start docker", or Docker Desktop), or set DOCKER_HOST; msx doctor shows what is found',
    cause: error,
  });
}

/** Whether an engine API error is a 404 (no such image or container). */
export function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { statusCode?: number }).statusCode === 404;
}
