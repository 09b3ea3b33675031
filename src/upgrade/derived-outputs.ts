import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import type { Manifest } from '../manifest/schema.js';
import { PACKAGE_ROOT } from '../package-root.js';

/**
 * Output msx renders from msx.yaml into the system folder for tools other
 * than msx (compose.yaml for docker compose, deploy/kubernetes/<system>/ for
 * kubectl), when the system has it. Every msx command that uses them renders
 * them anew, but a committed copy would stay stale: `msx upgrade` re-renders
 * each one with this msx, through the same command a user runs.
 */
export interface DerivedOutput {
  readonly path: string;
  readonly command: readonly string[];
}

export function derivedOutputs(root: string, manifest: Manifest): DerivedOutput[] {
  const outputs: DerivedOutput[] = [];
  if (existsSync(join(root, 'compose.yaml'))) outputs.push({ path: 'compose.yaml', command: ['render', 'compose'] });
  const kubernetesDir = `deploy/kubernetes/${manifest.name}`;
  if (existsSync(join(root, kubernetesDir, 'kustomization.yaml'))) outputs.push({ path: `${kubernetesDir}/`, command: ['render', 'kubernetes'] });
  return outputs;
}

/** Runs `msx <command>` in the system with this msx; the failure of one is reported, not thrown (the upgrade itself is done). */
export async function rerender(root: string, output: DerivedOutput): Promise<{ ok: boolean; message: string }> {
  const result = await execa(process.execPath, [join(PACKAGE_ROOT, 'bin', 'msx.js'), ...output.command], { cwd: root, reject: false, all: true, env: { NO_COLOR: '1' } });
  const last = String(result.all ?? '').trim().split('\n').filter(Boolean).slice(-3).join(' / ');
  return { ok: result.exitCode === 0, message: last };
}
