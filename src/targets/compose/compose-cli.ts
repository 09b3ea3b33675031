import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { CliError, failure } from '../../errors/cli-error.js';
import { requestedEnvironment, secretsFileName } from '../../manifest/environments.js';
import { COMPOSE_FILE } from './compose-file.js';

/** The user's own additions, passed after msx's file as compose itself would. */
export const OVERRIDE_FILE = 'compose.override.yaml';

/**
 * The compose program found on this machine: `docker compose` (v2) or
 * `docker-compose` (v1, 1.29). They differ where msx cares: v1 rejects the
 * top-level `name` key (so the project always goes as `-p`), has no
 * `up --wait` and no `ps --format json` — msx waits and lists containers
 * through the engine itself, so it needs neither.
 */
export interface ComposeCli {
  readonly version: 1 | 2;
  /** `docker compose` or `docker-compose`, for messages. */
  readonly display: string;
  /** Runs `compose -p <project> -f compose.yaml [-f compose.override.yaml] <args>` in `root`. */
  run(args: readonly string[], options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<{ stdout: string; stderr: string }>;
}

let detected: Promise<{ version: 1 | 2; command: readonly string[] } | undefined> | undefined;

/**
 * Which compose to use: MSX_COMPOSE=v1|v2 when set (tests run the same suite
 * on both), else v2 when `docker compose version` answers, else v1.
 */
export async function composeCli(root: string, project: string): Promise<ComposeCli> {
  detected ??= detect();
  const found = await detected;
  if (!found) {
    throw new CliError('neither "docker compose" (v2) nor "docker-compose" (v1) is installed', {
      exitCode: 1,
      hint: 'install the Docker Compose plugin (or docker-compose 1.29), or run the system locally: msx up --target local; msx doctor shows what is found',
    });
  }
  const [program, ...prefix] = found.command as [string, ...string[]];
  const files = ['-f', join(root, COMPOSE_FILE), ...(existsSync(join(root, OVERRIDE_FILE)) ? ['-f', join(root, OVERRIDE_FILE)] : []), ...environmentSecretsFile(root)];
  const display = found.command.join(' ');
  return {
    version: found.version,
    display,
    async run(args, options = {}) {
      const result = await execa(program, [...prefix, '-p', project, ...files, ...args], {
        cwd: root,
        reject: false,
        stdin: 'ignore',
        ...(options.signal ? { cancelSignal: options.signal } : {}),
        ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
        // v1 prints progress with terminal codes unless told otherwise.
        env: { COMPOSE_INTERACTIVE_NO_CLI: '1', COMPOSE_ANSI: 'never' },
      });
      if (result.exitCode !== 0) {
        const lines = String(result.stderr).trim().split('\n').filter(Boolean).slice(-15);
        throw new CliError(`${display} ${args[0]} failed${result.exitCode === undefined ? '' : ` (exit ${result.exitCode})`}`, {
          exitCode: 1,
          details: lines,
          hint: 'msx ps and msx logs show the containers; docker info shows whether the engine is healthy',
        });
      }
      return { stdout: String(result.stdout), stderr: String(result.stderr) };
    },
  };
}

/**
 * Compose reads the secrets compose.yaml interpolates from `.env` by itself;
 * with an environment selected (--env staging) they are in `.env.staging`
 * instead (src/secrets/system-secrets.ts). An environment whose secrets come
 * from msx's own environment has no file: compose sees them as variables.
 */
function environmentSecretsFile(root: string): string[] {
  const environment = requestedEnvironment();
  if (environment === undefined) return [];
  const file = join(root, secretsFileName(environment));
  return existsSync(file) ? ['--env-file', file] : [];
}

async function detect(): Promise<{ version: 1 | 2; command: readonly string[] } | undefined> {
  const wanted = process.env.MSX_COMPOSE;
  if (wanted !== undefined && wanted !== '' && wanted !== 'v1' && wanted !== 'v2') throw failure(`MSX_COMPOSE must be v1 or v2, got "${wanted}"`, 'unset it to let msx pick the compose it finds');
  const v2 = wanted === 'v1' ? false : await answers('docker', ['compose', 'version', '--short']);
  if (v2) return { version: 2, command: ['docker', 'compose'] };
  const v1 = wanted === 'v2' ? false : await answers('docker-compose', ['version', '--short']);
  if (v1) return { version: 1, command: ['docker-compose'] };
  return undefined;
}

async function answers(program: string, args: string[]): Promise<boolean> {
  const result = await execa(program, args, { reject: false, stdin: 'ignore', timeout: 15_000 });
  return result.exitCode === 0;
}
