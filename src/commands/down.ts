import { Command } from 'commander';
import { loadManifest } from '../manifest/load-manifest.js';
import { resolveTarget } from '../targets/resolve-target.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';

export function downCommand(): Command {
  return new Command('down')
    .description('stop the running system gracefully; data stays unless --volumes')
    .option('-v, --volumes', 'also delete the data of the embedded infrastructure (.msx/data)')
    .option('--json', 'print what was stopped as JSON')
    .addHelpText('after', `
Examples:
  $ msx down
  $ msx down --volumes     # start from empty data next time

Each instance gets SIGTERM, drains its in-flight requests, and is killed if
it has not exited after 15s.`)
    .action(async (options: { volumes?: boolean; json?: boolean }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      const result = await resolveTarget(root, manifest).down({ volumes: Boolean(options.volumes) });
      if (options.json) return printJson(result);
      if (!result.wasRunning) info('nothing was running');
      else info(`${colour.green('✔')} stopped ${result.stopped.length} instance${result.stopped.length === 1 ? '' : 's'}${result.stopped.length ? `: ${result.stopped.join(', ')}` : ''}`);
      if (result.removedData) info(`${colour.green('✔')} removed .msx/data`);
    });
}
