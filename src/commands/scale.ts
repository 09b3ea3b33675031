import { Command } from 'commander';
import { usageError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

/** Parses `orders=3 products=2` into counts, rejecting anything else with the bad word. */
export function parseScaleArgs(args: readonly string[], known: readonly string[]): Record<string, number> {
  if (args.length === 0) throw usageError('say what to scale, e.g. msx scale orders=3');
  const counts: Record<string, number> = {};
  for (const arg of args) {
    const match = /^([a-z0-9-]+)=(\d+)$/.exec(arg);
    if (!match) throw usageError(`expected <service>=<count>, got "${arg}"`, 'e.g. msx scale orders=3 products=2');
    const [, service, count] = match;
    if (!known.includes(service!)) throw usageError(`unknown service "${service}"`, `services in msx.yaml: ${known.join(', ')}`);
    if (Number(count) > 50) throw usageError(`at most 50 instances per service, got ${count} for ${service}`);
    counts[service!] = Number(count);
  }
  return counts;
}

export function scaleCommand(): Command {
  return new Command('scale')
    .description('change how many instances of a service run, without a restart; scale-down drains first')
    .argument('<service=count...>', 'e.g. orders=3 products=2')
    .option('--json', 'print what changed as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx scale orders=3
  $ msx scale orders=3 products=2
  $ msx scale orders=1          # the others leave the load balancers, drain, stop

New instances join the gateway's and clients' balancing once /ready answers.
The count lasts until msx down; msx.yaml (replicas) says how many msx up starts.`)
    .action(async (args: string[], options: { json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      const counts = parseScaleArgs(args, Object.keys(manifest.services));
      const changes = await resolveTarget(root, { target: options.target, manifest }).scale(counts);
      if (options.json) return printJson(changes);
      for (const change of changes) {
        const detail = change.note ?? (change.started.length ? `started ${change.started.join(', ')}` : change.stopped.length ? `stopped ${change.stopped.join(', ')}` : 'unchanged');
        info(`${colour.green('✔')} ${change.service} ${change.from} → ${change.to} (${detail})`);
      }
    });
}
