import { Command } from 'commander';
import { DURATION_HELP, durationOption, formatDurationMs } from '../manifest/duration.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { UP_COLUMNS, upRows } from '../targets/instance-format.js';
import { describeObject } from '../targets/kubernetes/kube-object.js';
import { deploySystem } from '../targets/kubernetes/kubernetes-deploy.js';
import { kubernetesTarget } from '../targets/kubernetes/kubernetes-target.js';
import { formatChanges } from '../targets/kubernetes/object-diff.js';
import { rolloutError, TIMEOUT_EXIT_CODE } from '../targets/kubernetes/rollout-report.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';

interface DeployCommandOptions {
  context?: string;
  namespace?: string;
  dryRun?: boolean;
  wait: boolean;
  timeout: number;
  forceConflicts?: boolean;
  json?: boolean;
}

export function deployCommand(): Command {
  return new Command('deploy')
    .description('deploy the system to Kubernetes: server-side apply of what msx.yaml says now, prune, wait for the rollouts')
    .option('--context <name>', 'kubeconfig context to deploy to (default: the current context)')
    .option('-n, --namespace <name>', 'namespace to deploy into (default: infrastructure.kubernetes.namespace, else the system name)')
    .option('--dry-run', 'send everything with dryRun=All and print what would change; nothing is stored')
    .option('--no-wait', 'return once the objects are applied, without waiting for the rollouts')
    .addOption(durationOption('--timeout <duration>', 'how long to wait for every rollout, e.g. 5m (a bare number is seconds)', { example: '5m', minMs: 1 }, 300_000))
    .option('--force-conflicts', 'take over fields another client (kubectl edit, a controller) set, instead of failing')
    .option('--json', 'print what was applied, pruned and the rollout outcome as JSON')
    .addHelpText('after', `
Examples:
  $ msx deploy                           # the current kubeconfig context
  $ msx deploy --context prod -n shop    # another cluster and namespace
  $ msx deploy --dry-run                 # what would change, checked by the API server
  $ msx deploy --no-wait --json | jq '.applied[] | select(.action != "unchanged")'
  $ KUBECONFIG=~/.kube/staging msx deploy --timeout 10m

Objects are applied server-side as field manager "msx", in dependency order
(Namespace, Secrets from .env, ConfigMaps, StatefulSets, Services,
Deployments, autoscalers, disruption budgets, network policies, Ingress).
Images carry content-hash tags, so a deploy of unchanged code changes nothing.
Objects msx made for this system that msx.yaml no longer renders are deleted
(selected by app.kubernetes.io/managed-by=msx and msx.dev/system=<system>);
PersistentVolumeClaims and the namespace never are.

A rollout is done as kubectl rollout status says: the new spec observed, every
replica updated, no old replica left, all available. msx stops waiting at once
on CrashLoopBackOff, ImagePullBackOff, CreateContainerConfigError,
ProgressDeadlineExceeded or a Failed/FailedCreate event, and shows the pod's
events and last log lines. Afterwards msx ps, logs, scale and down work on the
deployed system (recorded in .msx/kubernetes.json).

${DURATION_HELP}
Exit codes: 0 every rollout ready (or dry run), 1 failed, 2 usage or
configuration error, ${TIMEOUT_EXIT_CODE} rollouts not finished within --timeout (as timeout(1)).`)
    .action(async (options: DeployCommandOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      requireMatchingVersions(root);
      const dryRun = Boolean(options.dryRun);
      const say = options.json ? () => undefined : info;
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      let result;
      try {
        result = await deploySystem(root, manifest, {
          context: options.context,
          namespace: options.namespace,
          dryRun,
          wait: options.wait,
          timeoutMs: options.timeout,
          forceConflicts: Boolean(options.forceConflicts),
          signal: abort.signal,
        }, {
          onConnected: (target) => say(`${dryRun ? 'dry run: ' : ''}deploying ${colour.bold(manifest.name)} to context ${colour.bold(target.context)} (${target.server}), namespace ${colour.bold(target.namespace)}`),
          onApplied: (applied, changes) => {
            if (!dryRun) return say(`  ${actionText(applied.action)} ${describeObject(applied.object)}`);
            if (applied.action === 'unchanged' || changes?.length === 0) return say(`  ${colour.dim('unchanged  ')} ${describeObject(applied.object)}`);
            say(`  ${applied.action === 'created' ? colour.green('would create') : colour.yellow('would change')} ${describeObject(applied.object)}`);
            if (applied.action !== 'created') for (const line of formatChanges(applied.object.kind, changes ?? [])) say(`      ${line}`);
          },
          onPruned: (object) => say(`  ${colour.red(dryRun ? 'would prune' : 'pruned     ')} ${describeObject(object)} ${colour.dim('(no longer in msx.yaml)')}`),
          onRollout: ({ workload, verdict }) => {
            const text = verdict.state === 'done' ? colour.green(`ready ${verdict.ready}/${verdict.desired}`) : verdict.state === 'failed' ? colour.red(verdict.reason) : `${verdict.message}`;
            say(`  ${workload.service.padEnd(16)} ${text}`);
          },
        });
      } finally {
        process.off('SIGINT', stop);
      }
      if (dryRun && result.namespaceMissing) say(colour.yellow(`namespace ${result.namespace} does not exist yet: the API server checked only the Namespace; every other object would be created`));
      const error = result.rollout && rolloutError(result.rollout, { namespace: result.namespace, timeoutMs: options.timeout });
      if (options.json) {
        printJson({
          context: result.context,
          namespace: result.namespace,
          dryRun,
          applied: result.applied.map((a) => ({ kind: a.object.kind, name: a.object.metadata.name, namespace: a.object.metadata.namespace, action: a.action })),
          pruned: result.pruned.map((o) => ({ kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace })),
          rollout: result.rollout ? { status: result.rollout.status, ...(result.rollout.status === 'failed' ? { service: result.rollout.workload.service, reason: result.rollout.reason, message: result.rollout.message, pod: result.rollout.pod, logs: result.rollout.logs } : {}) } : null,
        });
      }
      if (error) throw error;
      if (dryRun) return say(colour.dim('dry run: nothing was changed'));
      const counts = { created: 0, configured: 0, unchanged: 0 };
      for (const a of result.applied) counts[a.action]++;
      say(`${colour.green('✔')} applied ${result.applied.length} objects (${counts.created} created, ${counts.configured} configured, ${counts.unchanged} unchanged)${result.pruned.length ? `, pruned ${result.pruned.length}` : ''}`);
      if (!options.wait || options.json) return;
      info(`${colour.green('✔')} every rollout is ready (waited at most ${formatDurationMs(options.timeout)})`);
      const instances = await kubernetesTarget(root, manifest, { context: result.context, namespace: result.namespace }).ps();
      printTable(UP_COLUMNS, upRows(instances));
      info(colour.dim('msx ps, msx logs -f, msx scale and msx down now work on this deployment'));
    });
}

function actionText(action: 'created' | 'configured' | 'unchanged'): string {
  switch (action) {
    case 'created':
      return colour.green('created    ');
    case 'configured':
      return colour.yellow('configured ');
    case 'unchanged':
      return colour.dim('unchanged  ');
  }
}
