import { Command } from 'commander';
import { readDashboardRecord } from '../dashboard/server/dashboard-record.js';
import { DURATION_HELP, durationOption } from '../manifest/duration.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { formatEntry } from '../logs/log-format.js';
import { parseLogLine } from '../logs/log-line.js';
import { UP_COLUMNS, upRows } from '../targets/instance-format.js';
import { describeChange, regenerateOwnedFiles } from '../scaffold/owned-files.js';
import { removeDeployment, writeDeployment } from '../targets/deployment-record.js';
import { assertNotRunningElsewhere, resolveTarget, targetOption } from '../targets/resolve-target.js';
import { isRunningState, type AttachedRun } from '../targets/target.js';
import { SILENT_PROGRESS, UpProgressView } from '../targets/up-progress.js';
import { typedClientFiles } from '../contracts/typed-client-files.js';
import { colour } from '../ui/colour.js';
import { isOutputClosed, onOutputClosed } from '../ui/output-closed.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { rebuildChangedServices } from './rebuild-changed.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';
import { ensureSystemSecrets, secretsAddedLine } from '../secrets/system-secrets.js';

interface UpCommandOptions {
  detach?: boolean;
  timeout: number;
  json?: boolean;
  watch?: boolean;
  target?: string;
}

export function upCommand(): Command {
  return new Command('up')
    .description('run the system, in dependency order, until every instance is ready: locally as supervised native processes (default), or on compose')
    .argument('[services...]', 'run only these services (and the services they call)')
    .option('-d, --detach', 'keep running in the background; use msx ps, logs, scale and down')
    .option('-w, --watch', 'rebuild a service and restart its instances one at a time when its src/ changes; a failed build keeps the running ones')
    .addOption(durationOption('--timeout <duration>', 'how long each instance may take to become ready, e.g. 30s, 2m (a bare number is seconds)', { example: '30s', minMs: 1 }, 30_000))
    .option('--json', 'detached: print the instances as JSON; foreground: print raw JSON log lines')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx up                       # run in the foreground; Ctrl-C stops everything
  $ msx up -d                    # run in the background
  $ msx up users orders -d       # only these (and what they call)
  $ msx up --watch               # edit services/*/src: rebuilt and restarted without dropping requests
  $ msx up -d --watch && msx logs -f users   # see rebuilds and compiler errors of users
  $ msx up -d --timeout 2m       # slow machine: wait up to 2 minutes per instance
  $ msx -C ./demo up -d --json
  $ msx up --target compose      # build images, start on docker compose, wait for healthy

${DURATION_HELP}

The target is --target, else msx.yaml's target:, else local. Where it was
started is recorded in .msx/deployment.json: ps, logs, scale, trace, metrics
and down then act on that deployment without --target.
Locally, state, logs and the discovery registry live in .msx/ of the system
folder; run npm install and npm run build first: msx up runs services/*/dist.`)
    .action(async (services: string[], options: UpCommandOptions, command: Command) => {
      const root = workingDir(command);
      const readyTimeoutMs = options.timeout;
      const { manifest } = loadManifest(root);
      requireMatchingVersions(root);
      // What msx.yaml says is what runs: the gateway gets its config from
      // msx.yaml at start; the files msx owns are brought in line and the user told.
      // Only once the target has found the system not running: an up of a running system changes nothing.
      const prepare = async () => {
        const secrets = ensureSystemSecrets(root, manifest);
        if (secrets.added.length > 0) process.stderr.write(`${secretsAddedLine(secrets)}\n`);
        const changed = regenerateOwnedFiles(root, manifest, await typedClientFiles(root, manifest));
        for (const file of changed) process.stderr.write(`${describeChange(file)}\n`);
        // Local instances run services/*/dist, so what changed is rebuilt here; a container target's images build from source.
        if (target.kind === 'local') await rebuildChangedServices(root, changed, (line) => process.stderr.write(`${line}\n`));
      };
      const target = resolveTarget(root, { target: options.target, manifest, purpose: 'start' });
      await assertNotRunningElsewhere(root, target, manifest);
      // Recorded before anything starts: a deployment that fails half-way is still found by msx down.
      // On a full disk the start itself fails next and names what it could not write, so the record waits for it.
      try {
        writeDeployment(root, target.kind, manifest.name, manifest.environment?.name);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOSPC' && code !== 'EDQUOT') throw error;
      }

      const view = options.json ? undefined : new UpProgressView();
      const cancel = new AbortController();
      // Foreground: this process supervises the instances, so nothing (a signal, a closed pipe) may end it before they are stopped.
      let run: AttachedRun | undefined;
      let stopRequested = false;
      const stopRun = (why: 'signal' | 'output-closed') => {
        if (!run) {
          if (!cancel.signal.aborted) notice(why === 'signal' ? 'stopping…' : 'output closed; stopping…');
          cancel.abort();
          return;
        }
        if (stopRequested) {
          if (why === 'signal') notice('killing what is left…');
          if (why === 'signal') void run.stop(); // a second Ctrl-C escalates to SIGKILL
          return;
        }
        stopRequested = true;
        const count = run.instances().filter((i) => isRunningState(i.state)).length;
        notice(`${why === 'output-closed' ? 'output closed; ' : ''}stopping ${count} instance${count === 1 ? '' : 's'}…${why === 'signal' ? ' (Ctrl-C again to kill)' : ''}`);
        void run.stop();
      };
      const onSignal = () => stopRun('signal');
      const releaseOutput = options.detach ? () => undefined : onOutputClosed(() => stopRun('output-closed'));
      if (!options.detach) {
        process.on('SIGINT', onSignal);
        process.on('SIGTERM', onSignal);
      }
      let result;
      try {
        result = await target.up({ services, detach: Boolean(options.detach), watch: Boolean(options.watch), readyTimeoutMs, signal: cancel.signal, prepare }, view ?? SILENT_PROGRESS);
      } catch (error) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
        releaseOutput();
        await view?.finish(false);
        // What failed may have left instances behind (a target may keep them for inspection): then msx down must still find them.
        if ((await target.ps().catch(() => [])).length === 0) removeDeployment(root, target.kind);
        throw error;
      }
      if (!result.attached) {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await view?.finish(true);

      if (options.json && options.detach) {
        printJson({ gateway: result.gatewayUrl ?? null, instances: result.instances });
        return;
      }
      if (!options.json) {
        printTable(UP_COLUMNS, upRows(result.instances));
        if (result.gatewayUrl) info(`\n${colour.bold('gateway')} ${colour.cyan(result.gatewayUrl)}   try: curl -H "Authorization: Bearer $(msx token)" ${result.gatewayUrl}/…`);
        const dashboard = readDashboardRecord(root);
        info(dashboard ? `${colour.bold('dashboard')} ${colour.cyan(dashboard.url)}` : `${colour.bold('dashboard')} ${colour.dim('msx dashboard (opens the running system in a browser)')}`);
      }
      run = result.attached;
      if (options.watch && !options.json) info(colour.dim('watching services/*/src: a change rebuilds and restarts its service'));
      if (!run) {
        info(colour.dim('running in the background: msx ps, msx logs -f, msx down'));
        return;
      }
      if (!options.json) info(colour.dim('logs follow; Ctrl-C stops everything (twice to kill)\n'));
      const width = Math.max(...result.instances.map((i) => i.id.length));
      run.onLog((line, instance) => {
        if (isOutputClosed('stdout')) return;
        if (options.json) return void process.stdout.write(`${line}\n`);
        const entry = parseLogLine(line, { service: '', instance });
        // The supervisor's id names the instance, whatever the process calls itself.
        process.stdout.write(`${entry ? formatEntry({ ...entry, instance }, colour, width) : line}\n`);
      });
      await run.ended;
      removeDeployment(root, target.kind);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (!options.json) {
        if (isOutputClosed('stdout')) notice('stopped');
        else info(colour.dim('stopped'));
      }
      releaseOutput();
    });
}

/** A line about what msx itself is doing, on stderr (the logs own stdout), unless stderr is gone too. */
function notice(text: string): void {
  if (!isOutputClosed('stderr')) process.stderr.write(`\n${text}\n`);
}
