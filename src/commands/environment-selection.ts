import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parse } from 'yaml';
import { defaultEnvironment, ENVIRONMENT_VARIABLE } from '../manifest/environments.js';
import { MANIFEST_FILE } from '../manifest/load-manifest.js';
import { readDeployment } from '../targets/deployment-record.js';
import { readDeployment as readKubernetesDeployment } from '../targets/kubernetes/deployment-record.js';
import { findSystemRoot, invocationDir } from './command-context.js';

/**
 * Commands that decide what runs (and so take the target's default
 * environment), not act on what runs now. `msx token` acts on what runs: its
 * token must be one the running gateway accepts, signed with the secret of
 * the environment the system was started in.
 */
const STARTING = new Set(['up', 'deploy', 'build', 'render', 'config', 'generate', 'upgrade']);
/** Commands whose name is their target. */
const TARGET_OF: Readonly<Record<string, string>> = { deploy: 'kubernetes', compose: 'compose', kubernetes: 'kubernetes' };

/**
 * Decides, before a command runs, which environment of msx.yaml it uses,
 * and passes it on in MSX_ENV: every manifest read of this run (and of the
 * processes it starts, the local supervisor) resolves the same one.
 *
 * 1. `--env <name>`, else MSX_ENV from the shell;
 * 2. for commands acting on what runs (ps, logs, scale, down, …): the
 *    environment the recorded deployment was started with;
 * 3. the default environment of the target the command works on.
 * None of them: msx.yaml as written, without an environment.
 */
export function selectEnvironment(actionCommand: Command): void {
  const options = actionCommand.optsWithGlobals<{ env?: string; target?: string }>();
  if (options.env !== undefined) {
    process.env[ENVIRONMENT_VARIABLE] = options.env;
    return;
  }
  if (process.env[ENVIRONMENT_VARIABLE]) return;
  const root = findSystemRoot(invocationDir(actionCommand));
  if (root === undefined) return;
  const environments = declaredEnvironments(root);
  if (environments === undefined) return;

  const command = topLevelName(actionCommand);
  const operating = !STARTING.has(command);
  const recorded = operating ? readDeployment(root) : undefined;
  if (recorded?.environment !== undefined) {
    process.env[ENVIRONMENT_VARIABLE] = recorded.environment;
    return;
  }
  const kubernetes = operating ? readKubernetesDeployment(root) as { environment?: unknown } | undefined : undefined;
  if (typeof kubernetes?.environment === 'string' && !recorded) {
    process.env[ENVIRONMENT_VARIABLE] = kubernetes.environment;
    return;
  }
  const target = options.target ?? (process.env.MSX_TARGET || undefined) ?? TARGET_OF[actionCommand.name()] ?? TARGET_OF[command]
    ?? recorded?.target ?? (kubernetes ? 'kubernetes' : undefined) ?? environments.target ?? 'local';
  const chosen = defaultEnvironment(environments.environments, target);
  if (chosen !== undefined) process.env[ENVIRONMENT_VARIABLE] = chosen;
}

function topLevelName(command: Command): string {
  let current = command;
  while (current.parent?.parent) current = current.parent;
  return current.name();
}

/**
 * msx.yaml's environments and target, read leniently: only to choose a
 * name. The command's own read of msx.yaml validates everything and reports
 * any mistake with its line.
 */
function declaredEnvironments(root: string): { environments: Record<string, { target?: string; default?: boolean }>; target?: string } | undefined {
  let data: unknown;
  try {
    data = parse(readFileSync(join(root, MANIFEST_FILE), 'utf8'), { maxAliasCount: 100 });
  } catch {
    return undefined;
  }
  if (data === null || typeof data !== 'object') return undefined;
  const { environments, target } = data as { environments?: unknown; target?: unknown };
  if (environments === null || typeof environments !== 'object' || Array.isArray(environments)) return undefined;
  return { environments: environments as Record<string, { target?: string; default?: boolean }>, target: typeof target === 'string' ? target : undefined };
}
