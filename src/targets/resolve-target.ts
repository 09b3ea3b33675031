import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Option } from 'commander';
import { CliError, usageError } from '../errors/cli-error.js';
import { loadManifest, MANIFEST_FILE } from '../manifest/load-manifest.js';
import { TARGET_NAMES, type Manifest } from '../manifest/schema.js';
import { composeTarget } from './compose/compose-target.js';
import { readDeployment } from './deployment-record.js';
import { readDeployment as readKubernetesDeployment } from './kubernetes/deployment-record.js';
import { kubernetesTarget } from './kubernetes/kubernetes-target.js';
import { localTarget } from './local/local-target.js';
import type { Target } from './target.js';

/** Makes a target for the system in `root`; the manifest is read only when the target needs it. */
type TargetFactory = (root: string, manifest: () => Manifest) => Target;

const FACTORIES: Readonly<Record<string, TargetFactory | undefined>> = {
  local: localTarget,
  compose: composeTarget,
  kubernetes: (root, manifest) => kubernetesTarget(root, manifest()),
};

/** `--target <name>`, the same on every command that runs or observes the system. */
export function targetOption(): Option {
  return new Option('--target <name>', `where the system runs: ${TARGET_NAMES.join(', ')} (default: where msx up last started it, else msx.yaml's target, else local)`)
    .choices(TARGET_NAMES);
}

export interface ResolveOptions {
  /** `--target`, when given (else MSX_TARGET from the environment). */
  readonly target?: string | undefined;
  /** The manifest, when the command has loaded it already. */
  readonly manifest?: Manifest | undefined;
  /**
   * `start` (msx up) chooses from `--target`, msx.yaml's `target:` and
   * `local`, never from what runs now: what to start is configuration, not
   * leftover state. `operate` (every other command) acts on the deployment
   * `up` recorded before falling back to those.
   */
  readonly purpose?: 'start' | 'operate';
}

/**
 * The one place a target name becomes a Target: `--target` (or
 * MSX_TARGET), else (except for `up`) the deployment recorded in
 * `.msx/deployment.json` (or a `msx deploy` to Kubernetes recorded in
 * `.msx/kubernetes.json`), else msx.yaml's `target:`, else `local`.
 */
export function resolveTarget(root: string, options: ResolveOptions = {}): Target {
  let loaded = options.manifest;
  const manifest = () => (loaded ??= loadManifest(root).manifest);
  const flag = options.target ?? (process.env.MSX_TARGET || undefined);
  const recorded = () => (options.purpose === 'start' ? undefined : readDeployment(root)?.target ?? (readKubernetesDeployment(root) ? 'kubernetes' : undefined));
  const configured = () => (options.manifest ?? (existsSync(join(root, MANIFEST_FILE)) ? manifest() : undefined))?.target;
  const name = flag ?? recorded() ?? configured() ?? 'local';
  return targetNamed(name, root, manifest);
}

function targetNamed(name: string, root: string, manifest: () => Manifest): Target {
  if (!(TARGET_NAMES as readonly string[]).includes(name)) throw usageError(`unknown target "${name}"`, `targets: ${TARGET_NAMES.join(', ')}`);
  const factory = FACTORIES[name];
  if (!factory) throw new CliError(`the ${name} target is not available in this version of msx`, { exitCode: 2, hint: `run the system on ${Object.keys(FACTORIES).join(' or ')} meanwhile (msx up --target local)` });
  return factory(root, manifest);
}

/**
 * Before `up` starts the system on `target`: refuses when the system still
 * runs on another one (the recorded deployment has instances), saying where
 * and what to do. A record of a deployment that is gone is ignored.
 */
export async function assertNotRunningElsewhere(root: string, target: Target, manifest: Manifest): Promise<void> {
  const recorded = readDeployment(root);
  if (!recorded || recorded.target === target.kind || !FACTORIES[recorded.target]) return;
  const there = targetNamed(recorded.target, root, () => manifest);
  const running = await there.ps().catch(() => []);
  if (running.length === 0) return;
  throw new CliError(`${manifest.name} is already running on ${recorded.target} (${running.length} instance${running.length === 1 ? '' : 's'}, started by msx up at ${recorded.startedAt})`, {
    exitCode: 1,
    hint: `msx down stops it there, then msx up --target ${target.kind}; or msx up --target ${recorded.target} to update that deployment`,
  });
}
