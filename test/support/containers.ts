import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { execa } from 'execa';
import { parse } from 'yaml';
import { dockerEngine, engineAddress } from '../../src/containers/docker-engine.js';
import { REPO_ROOT } from './msx.js';

/** The infrastructure a system on the compose target runs beside its services. */
export const STAND_IN_KEYS = ['node', 'postgres', 'rabbitmq', 'redis', 'prometheus'] as const;
export type StandInKey = (typeof STAND_IN_KEYS)[number];
export type ContainerImages = Record<StandInKey, string>;

const SCRIPT = join(REPO_ROOT, 'scripts', 'ci-images.sh');
/** A cold run (Debian root file system, packages) takes minutes on a busy machine. */
const SCRIPT_TIMEOUT_MS = 30 * 60_000;

let images: Promise<ContainerImages> | undefined;

/**
 * The images to put in a generated system's `infrastructure.compose.images`:
 * the stand-ins scripts/ci-images.sh builds, since no registry can be reached
 * to pull the official ones. `.ci/run` runs the script once and names its
 * output in MSX_TEST_COMPOSE_IMAGES; without that variable (one test file run
 * by hand) the script runs here, once per test process. It starts the engine
 * and builds what is missing, so it needs root.
 */
export function containerImages(): Promise<ContainerImages> {
  images ??= loadImages();
  return images;
}

async function loadImages(): Promise<ContainerImages> {
  const file = process.env.MSX_TEST_COMPOSE_IMAGES;
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new Error(`MSX_TEST_COMPOSE_IMAGES=${file} cannot be read (${(error as Error).message}); run "bash scripts/ci-images.sh > ${file}" or unset it`);
    }
    return imagesFromYaml(text, file);
  }
  const result = await execa('bash', [SCRIPT], { reject: false, stdin: 'ignore', timeout: SCRIPT_TIMEOUT_MS, cwd: REPO_ROOT });
  if (result.exitCode !== 0) {
    const tail = String(result.stderr).split('\n').slice(-30).join('\n');
    throw new Error(`bash scripts/ci-images.sh failed (exit ${result.exitCode ?? 'none'}${result.timedOut ? ', timed out' : ''}):\n${tail}`);
  }
  return imagesFromYaml(String(result.stdout), 'the output of scripts/ci-images.sh');
}

/** The images block of `infrastructure.compose.images` YAML, every key present. */
export function imagesFromYaml(text: string, source: string): ContainerImages {
  const parsed = parse(text) as { infrastructure?: { compose?: { images?: Record<string, unknown> } } } | null;
  const block = parsed?.infrastructure?.compose?.images ?? {};
  const out: Partial<ContainerImages> = {};
  for (const key of STAND_IN_KEYS) {
    const value = block[key];
    if (typeof value !== 'string' || value === '') {
      throw new Error(`${source} has no infrastructure.compose.images.${key}:\n${text}`);
    }
    out[key] = value;
  }
  return out as ContainerImages;
}

/**
 * Whether a Docker engine answers. When none does, in CI (CI set) the test
 * fails with what to do, since CI must never skip; elsewhere it is skipped with
 * the reason, and the caller returns:
 *
 *   if (!(await requireDocker(t))) return;
 */
export async function requireDocker(t: TestContext): Promise<boolean> {
  const problem = await engineProblem();
  if (problem === undefined) return true;
  const reason = `no Docker engine answers at ${engineAddress()} (${problem}); run "sudo bash scripts/ci-images.sh" to install and start one`;
  if (process.env.CI) throw new Error(`${reason}. CI runs it from .ci/run, so this is a broken CI set-up, not a skip.`);
  t.skip(reason);
  return false;
}

async function engineProblem(): Promise<string | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      dockerEngine().ping(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
      }),
    ]);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}
