import type { Manifest } from '../manifest/schema.js';
import { readDeployment } from './kubernetes/deployment-record.js';
import { kubernetesTarget } from './kubernetes/kubernetes-target.js';
import { localTarget } from './local/local-target.js';
import type { Target } from './target.js';

export type TargetName = 'local' | 'kubernetes';

/**
 * The one place a target name becomes a Target. Without a name: kubernetes
 * when the system was deployed there (`msx deploy` records it in
 * .msx/kubernetes.json, `msx down` removes it), else local. MSX_TARGET=local
 * or =kubernetes picks one explicitly.
 */
export function resolveTarget(root: string, manifest: Manifest, name: TargetName | undefined = defaultTarget(root)): Target {
  switch (name) {
    case 'local':
      return localTarget(root, manifest);
    case 'kubernetes':
      return kubernetesTarget(root, manifest);
  }
}

function defaultTarget(root: string): TargetName {
  const chosen = process.env.MSX_TARGET;
  if (chosen === 'local' || chosen === 'kubernetes') return chosen;
  return readDeployment(root) ? 'kubernetes' : 'local';
}
