import { Command } from 'commander';
import { loadManifest } from '../manifest/load-manifest.js';
import { formatBytes, formatUptime } from '../targets/instance-format.js';
import { resolveTarget } from '../targets/resolve-target.js';
import type { InstanceStatus } from '../targets/target.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';

export function psCommand(): Command {
  return new Command('ps')
    .description('list running instances: pid, port, state, readiness, restarts, uptime, CPU, memory')
    .option('--json', 'print the instances as JSON')
    .addHelpText('after', `
Examples:
  $ msx ps
  $ msx ps --json | jq '.[] | select(.ready | not)'

States: starting, ready, unready, backoff (restarting after a crash),
crash-loop (crashed 5 times within a minute), draining, stopping,
orphaned (still running after its supervisor was killed; msx down stops it).
restarts counts the crashes that were (or are about to be) restarted.`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      const instances = await resolveTarget(root, manifest).ps();
      if (options.json) return printJson(instances);
      if (instances.length === 0) return info('nothing is running (start it with msx up -d)');
      const now = Date.now();
      // Where instances spread over machines (Kubernetes nodes), say which; a local system has one machine.
      const withNode = instances.some((i) => i.node !== undefined);
      printTable(
        ['service', 'instance', 'pid', 'port', 'state', 'ready', 'restarts', 'uptime', 'cpu', 'mem', ...(withNode ? ['node'] : [])],
        instances.map((i) => [
          i.service,
          i.id,
          i.pid === undefined ? '-' : String(i.pid),
          String(i.port),
          stateText(i),
          i.ready ? colour.green('yes') : colour.yellow('no'),
          i.restarts > 0 ? colour.yellow(String(i.restarts)) : '0',
          i.startedAt && (i.pid !== undefined || i.node !== undefined) ? formatUptime(now - i.startedAt) : '-',
          i.cpuPercent === undefined ? '-' : `${i.cpuPercent.toFixed(1)}%`,
          i.memoryBytes === undefined ? '-' : formatBytes(i.memoryBytes),
          ...(withNode ? [i.node ?? '-'] : []),
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
