import { Command } from 'commander';
import { failure, usageError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import type { InstanceStatus } from '../targets/target.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { formatSeconds } from '../ui/build-progress.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

/**
 * The instances `args` name, in the order given: an instance id (`users-1`)
 * names itself, a service name every instance of it. Anything else is a
 * usage error that lists what runs.
 */
export function instancesToRestart(args: readonly string[], running: readonly InstanceStatus[]): string[] {
  if (args.length === 0) throw usageError('say what to restart, e.g. msx restart users-1 or msx restart users');
  if (running.length === 0) throw failure('nothing of the system runs', 'start it with msx up -d');
  const out: string[] = [];
  for (const arg of args) {
    const named = running.some((i) => i.id === arg) ? [arg] : running.filter((i) => i.service === arg).map((i) => i.id);
    if (named.length === 0) throw usageError(`no instance or service "${arg}" runs`, `running: ${running.map((i) => i.id).join(', ')}`);
    for (const id of named) if (!out.includes(id)) out.push(id);
  }
  return out;
}

export function restartCommand(): Command {
  return new Command('restart')
    .description('restart instances one at a time, each drained first and ready again before the next')
    .argument('<instance|service...>', 'an instance (users-1) or every instance of a service (users)')
    .option('--json', 'print what was restarted as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx restart users-1          # one instance
  $ msx restart orders           # every instance of orders, one after the other
  $ msx restart users payments-2

Each instance drains (leaves the load balancers, finishes what is in flight),
stops and starts again; msx ps counts the restart. On compose the container's
restart policy starts it again. On Kubernetes the pod is deleted (it drains
in its grace period) and its Deployment's ReplicaSet starts a new pod, under
a new name, which msx waits for to be ready.`)
    .action(async (args: string[], options: { json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      const target = resolveTarget(root, { target: options.target, manifest });
      if (target.restart === undefined) throw usageError(`the ${target.kind} target cannot restart one instance`);
      const instances = instancesToRestart(args, await target.ps());
      const done: { instance: string; ms: number; replacement?: string }[] = [];
      for (const instance of instances) {
        const started = Date.now();
        const replacement = (await target.restart(instance)) ?? undefined;
        const ms = Date.now() - started;
        done.push({ instance, ms, ...(replacement !== undefined && replacement !== instance ? { replacement } : {}) });
        if (!options.json) info(`${colour.green('✔')} ${instance} ${replacement !== undefined && replacement !== instance ? `replaced by ${replacement}, ready` : 'restarted, ready again'} after ${formatSeconds(ms)}`);
      }
      if (options.json) printJson(done);
    });
}
