import { Command } from 'commander';
import { renderKubernetesCommand } from './render-kubernetes.js';

/**
 * `msx render <target>`: what a target runs, written out as the files its
 * own tools read, from msx.yaml as it is now. One subcommand per target.
 */
export function renderCommand(): Command {
  return new Command('render')
    .description('write what a target runs as its own files (Kubernetes manifests), from msx.yaml as it is now')
    .addCommand(renderKubernetesCommand())
    .addHelpText('after', `
Examples:
  $ msx render kubernetes                       # deploy/kubernetes/<system>/ with a kustomization.yaml
  $ msx render kubernetes --stdout | kubectl apply --dry-run=server -f -`);
}
