import { Command } from 'commander';
import { CliError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { describeChange, ownedFiles, regenerateOwnedFiles, staleOwnedFiles } from '../scaffold/owned-files.js';
import { typedClientFiles } from '../contracts/typed-client-files.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';

interface GenerateOptions {
  check?: boolean;
  json?: boolean;
}

export function generateCommand(): Command {
  return new Command('generate')
    .description('regenerate every file msx derives from msx.yaml and the services\' contracts (the gateway\'s routes module, typed clients, msx.schema.json); --check only reports')
    .option('--check', 'write nothing; exit 1 when a file differs from what msx.yaml gives it (for CI)')
    .option('--json', 'print the files and what changed as JSON')
    .addHelpText('after', `
Examples:
  $ msx generate                     # after editing msx.yaml by hand
  $ msx generate --check             # in CI: fail when a generated file is stale
  $ msx generate --json | jq '.files[] | select(.change != "unchanged")'

msx up does the same before it starts anything and says what it rewrote, and
hands the gateway what msx.yaml says at start, so an edit never needs a rebuild
to take effect there. The files msx owns are rewritten whole: change msx.yaml,
not them.`)
    .action(async (options: GenerateOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      requireMatchingVersions(root);
      const clients = await typedClientFiles(root, manifest);
      const all = [...ownedFiles(root, manifest), ...clients];
      const changed = options.check ? staleOwnedFiles(root, manifest, clients) : regenerateOwnedFiles(root, manifest, clients);
      const changeOf = (path: string) => changed.find((c) => c.path === path)?.change ?? 'unchanged';
      if (options.json) {
        printJson({ written: !options.check && changed.length > 0, files: all.map((f) => ({ path: f.path, role: f.role, change: changeOf(f.path) })) });
      } else if (changed.length === 0) {
        info(`${colour.green('✔')} everything msx owns matches msx.yaml (${all.map((f) => f.path).join(', ')})`);
      } else if (options.check) {
        for (const file of changed) info(`${colour.yellow('stale')} ${file.path} (${file.role}): ${file.change === 'created' ? 'missing' : 'differs from msx.yaml'}`);
      } else {
        for (const file of changed) info(`${colour.green('✔')} ${describeChange(file)}`);
        info(colour.dim('the gateway\'s compiled copy changes with its next npm run build; msx up hands it msx.yaml\'s config either way'));
      }
      if (options.check && changed.length > 0) {
        throw new CliError(`${changed.length} generated file${changed.length === 1 ? ' is' : 's are'} stale`, { exitCode: 1, hint: 'run msx generate and commit the result' });
      }
    });
}
