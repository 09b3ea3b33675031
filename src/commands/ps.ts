import { Command } from 'commander';
import { loadManifest } from '../manifest/load-manifest.js';
import { detailColumns, formatBytes, formatUptime } from '../targets/instance-format.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { isRunningState, type InstanceStatus } from '../targets/target.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

export function psCommand(): Command {
  return new Command('ps')
    .description('list running instances: state, readiness, restarts, uptime, CPU, memory, URL, and what the target adds (pid and port locally, container on compose)')
    .option('--json', 'print the instances as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx ps
  $ msx ps --json | jq '.[] | select(.ready | not)'
  $ msx ps --target compose

States: starting, ready, unready, backoff (restarting after a crash),
crash-loop (crashed 5 times within a minute), draining, stopping,
orphaned (still running after its supervisor was killed; msx down stops it).
restarts counts the crashes that were (or are about to be) restarted.`)
    .action(async (options: { json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      const target = resolveTarget(root, { target: options.target, manifest });
      const instances = await target.ps();
      if (options.json) return printJson(instances);
      if (instances.length === 0) return info(`nothing is running${target.kind === 'local' ? '' : ` on ${target.kind}`} (start it with msx up -d)`);
      const now = Date.now();
      const details = detailColumns(instances);
      const withUrl = instances.some((i) => i.url !== undefined);
      printTable(
        ['service', 'instance', ...details, 'state', 'ready', 'restarts', 'uptime', 'cpu', 'mem', ...(withUrl ? ['url'] : [])],
        instances.map((i) => [
          i.service,
          i.id,
          ...details.map((key) => (i.details[key] === undefined ? '-' : String(i.details[key]))),
          stateText(i),
          i.ready ? colour.green('yes') : colour.yellow('no'),
          i.restarts > 0 ? colour.yellow(String(i.restarts)) : '0',
          i.startedAt && isRunningState(i.state) ? formatUptime(now - i.startedAt) : '-',
          i.cpuPercent === undefined ? '-' : `${i.cpuPercent.toFixed(1)}%`,
          i.memoryBytes === undefined ? '-' : formatBytes(i.memoryBytes),
          ...(withUrl ? [i.url ?? '-'] : []),
        ]),
      );
      if (instances.some((i) => i.state === 'orphaned')) info(colour.yellow('\nthese instances outlived their supervisor (it was killed): msx down stops them'));
    });
}

function stateText(instance: InstanceStatus): string {
  switch (instance.state) {
    case 'ready':
      return colour.green(instance.state);
    case 'crash-loop':
    case 'failed':
    case 'orphaned':
      return colour.red(instance.state);
    case 'backoff':
    case 'unready':
      return colour.yellow(instance.state);
    default:
      return instance.state;
  }
}
