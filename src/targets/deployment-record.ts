import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomically } from './local/registry-file.js';

/**
 * `.msx/deployment.json`: where the system in this folder was last started,
 * so `ps`, `logs`, `scale`, `trace`, `metrics` and `down` act on that
 * deployment without repeating `--target`. `up` writes it before it starts
 * anything (a half-started deployment is still found by `down`), `down`
 * removes it. Only a hint: a target asked about a deployment that is gone
 * answers "nothing runs", and the next `up` replaces the record.
 */
export interface DeploymentRecord {
  readonly version: 1;
  /** The target's name, as `--target` takes it. */
  readonly target: string;
  readonly system: string;
  /** When `up` started it, ISO 8601. */
  readonly startedAt: string;
  /** The environment of msx.yaml it runs (`--env`), so later commands resolve the same one; absent without one. */
  readonly environment?: string | undefined;
}

export function deploymentFile(root: string): string {
  return join(root, '.msx', 'deployment.json');
}

/** The recorded deployment; undefined when there is none or the file is not one msx wrote. */
export function readDeployment(root: string): DeploymentRecord | undefined {
  try {
    const data = JSON.parse(readFileSync(deploymentFile(root), 'utf8')) as Partial<DeploymentRecord>;
    if (data.version !== 1 || typeof data.target !== 'string' || typeof data.system !== 'string') return undefined;
    const environment = typeof data.environment === 'string' ? data.environment : undefined;
    return { version: 1, target: data.target, system: data.system, startedAt: String(data.startedAt ?? ''), ...(environment === undefined ? {} : { environment }) };
  } catch {
    return undefined;
  }
}

export function writeDeployment(root: string, target: string, system: string, environment?: string): void {
  mkdirSync(join(root, '.msx'), { recursive: true, mode: 0o700 });
  const record: DeploymentRecord = { version: 1, target, system, startedAt: new Date().toISOString(), ...(environment === undefined ? {} : { environment }) };
  writeFileAtomically(deploymentFile(root), `${JSON.stringify(record, null, 2)}\n`);
}

/** Forgets the deployment, if it is (still) on `target`: a `down` elsewhere leaves another target's record alone. */
export function removeDeployment(root: string, target: string): void {
  if (readDeployment(root)?.target === target) rmSync(deploymentFile(root), { force: true });
}
