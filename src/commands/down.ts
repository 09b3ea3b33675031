import { Command } from 'commander';
import { loadManifest } from '../manifest/load-manifest.js';
import { removeDeployment } from '../targets/deployment-record.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

export function downCommand(): Command {
  return new Command('down')
    .description('stop the running system gracefully; data stays unless --volumes')
    .option('-v, --volumes', 'also delete the system\'s data (locally .msx/data; on compose its volumes)')
    .option('--json', 'print what was stopped as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx down
  $ msx down --volumes     # start from empty data next time

Each instance gets SIGTERM, drains its in-flight requests, and is killed if
it has not exited after 15s.`)
    .action(async (options: { volumes?: boolean; json?: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      const target = resolveTarget(root, { target: options.target, manifest });
      const result = await target.down({ volumes: Boolean(options.volumes) });
      removeDeployment(root, target.kind);
      if (options.json) return printJson(result);
      if (!result.wasRunning) info('nothing was running');
      else info(`${colour.green('✔')} stopped ${result.stopped.length} instance${result.stopped.length === 1 ? '' : 's'}${result.stopped.length ? `: ${result.stopped.join(', ')}` : ''}`);
      if (result.removedData) info(`${colour.green('✔')} removed the system's data${target.kind === 'local' ? ' (.msx/data)' : ''}`);
    });
}
