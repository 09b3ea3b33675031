import { Command } from 'commander';
import { renderComposeCommand } from './render-compose.js';
import { renderKubernetesCommand } from './render-kubernetes.js';

/**
 * `msx render <target>`: what a target runs, written out as the files its
 * own tools read, from msx.yaml as it is now. One subcommand per target,
 * each in its own file (`render-compose.ts`, `render-kubernetes.ts`).
 */
export function renderCommand(): Command {
  return new Command('render')
    .description('write what a target runs as its own files (compose.yaml, Kubernetes manifests), from msx.yaml as it is now')
    .addCommand(renderComposeCommand())
    .addCommand(renderKubernetesCommand())
    .addHelpText('after', `
Examples:
  $ msx render compose                          # compose.yaml and its Prometheus/Grafana files
  $ msx render compose --stdout | less          # look at it without writing
  $ msx render kubernetes                       # deploy/kubernetes/<system>/ with a kustomization.yaml
  $ msx render kubernetes --stdout | kubectl apply --dry-run=server -f -

Every msx command that runs the system renders first, so the files always say
what msx.yaml says now; render is for reading them, or for running the tools yourself.`);
}
