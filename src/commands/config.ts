import { Command } from 'commander';
import { Document } from 'yaml';
import { CliError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { resolvedManifest } from '../manifest/resolved-manifest.js';
import { secretsFileName } from '../manifest/environments.js';
import type { Manifest } from '../manifest/schema.js';
import { gatewayConfig } from '../scaffold/gateway-config.js';
import { printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

interface ConfigOptions {
  json?: boolean;
  gateway?: boolean;
}

export function configCommand(): Command {
  return new Command('config')
    .description('validate msx.yaml and print it resolved: every default filled in, as msx runs it')
    .option('--json', 'print it as JSON instead of YAML')
    .option('--gateway', 'print the configuration the gateway is started with (routes, auth, rate limits, CORS), as JSON')
    .addHelpText('after', `
Examples:
  $ msx config                          # the whole manifest with its defaults
  $ msx config --json | jq '.services.users.routes'
  $ msx config --gateway | jq '.auth'   # issuer, audience, max token age the gateway checks
  $ msx -C ./demo config > resolved.yaml
  $ msx config --env prod               # what prod runs: its overrides applied
  $ diff <(msx config --env staging) <(msx config --env prod)

Like docker compose config: nothing is started or written; a mistake in
msx.yaml is reported with file:line:col and exit code 2.`)
    .action((options: ConfigOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      if (options.gateway) {
        const config = gatewayConfig(manifest);
        if (!config) throw new CliError('this system has no gateway', { exitCode: 2, hint: 'add a service with "kind: gateway" to msx.yaml' });
        return printJson(config);
      }
      const resolved = asRun(resolvedManifest(manifest));
      if (options.json) return printJson(resolved);
      process.stdout.write(new Document(resolved).toString({ lineWidth: 0 }));
    });
}

/**
 * With an environment chosen, what runs is the manifest with its overrides
 * applied: the environment is named first, the list of environments (no
 * longer in effect) left out.
 */
function asRun(manifest: Manifest): Record<string, unknown> {
  if (!manifest.environment) return manifest;
  const { environment, environments: _others, ...rest } = manifest;
  return { environment: { name: environment.name, secrets: environment.secrets, secretsFrom: environment.secrets === 'file' ? secretsFileName(environment.name) : 'the environment of msx' }, ...rest };
}
