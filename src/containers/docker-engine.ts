import Docker from 'dockerode';
import { CliError } from '../errors/cli-error.js';

/**
 * The one place msx makes a Docker engine client. It honours DOCKER_HOST
 * (unix://, tcp://, with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH) the way the
 * docker CLI does, because dockerode's modem reads the same variables.
 *
 * This module loads dockerode, so commands import it lazily (inside their
 * action), never at `msx --help`'s start-up.
 */
export function dockerEngine(): Docker {
  return new Docker();
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
