import { join, relative } from 'node:path';
import { Command } from 'commander';
import { usageError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { composeFile, composeFileText, composeProjectName, COMPOSE_FILE, writeComposeFile } from '../targets/compose/compose-file.js';
import { managedSecretVariables } from '../targets/compose/compose-secrets.js';
import type { ComposeFile } from '../targets/compose/compose-spec.js';
import { readSystemSecrets, secretsFileOf } from '../secrets/system-secrets.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';

interface RenderComposeOptions {
  out?: string;
  json?: boolean;
  stdout?: boolean;
  composeVersion?: string;
  force?: boolean;
}

export function renderComposeCommand(): Command {
  return new Command('compose')
    .description('write compose.yaml (and the Prometheus and Grafana files it mounts) from msx.yaml')
    .option('--out <file>', `write the compose file here instead of ${COMPOSE_FILE}`)
    .option('--stdout', 'print the compose file instead of writing anything')
    .option('--json', 'print what was written as JSON')
    .option('--compose-version <n>', 'compose CLI the file is for: 2 (docker compose, default) or 1 (docker-compose 1.29, no top-level name)', '2')
    .option('--force', `replace a ${COMPOSE_FILE} that msx did not write`)
    .addHelpText('after', `
Examples:
  $ msx render compose                          # compose.yaml in the system folder
  $ msx render compose --stdout | grep -A3 ports
  $ msx render compose --compose-version 1      # for docker-compose 1.29 (give it -p <system>)
  $ msx render compose --json | jq '.files[] | select(.changed)'
  $ docker compose up -d --wait                  # run it yourself (msx up --target compose does more)

compose.yaml is generated: msx rewrites it before every compose command. Put
your own changes in compose.override.yaml; every msx command passes it to
compose after compose.yaml. Secrets stay in .env (git-ignored): compose.yaml
only names them, and missing ones (RabbitMQ, Redis, Grafana, databases) are
generated into .env. Only the gateway is published, on 127.0.0.1 unless
msx.yaml's infrastructure.compose.publish says otherwise.`)
    .action(async (options: RenderComposeOptions, command: Command) => {
      const version = options.composeVersion;
      if (version !== '1' && version !== '2') {
        throw usageError(`--compose-version must be 1 or 2, got ${JSON.stringify(version)}`, 'use 2 for docker compose (the plugin), 1 for docker-compose 1.29');
      }
      const composeVersion = version === '1' ? 1 : 2;
      if (options.stdout && options.out) throw usageError('--stdout and --out both say where the file goes; give one');
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      requireMatchingVersions(root);

      if (options.stdout) {
        // Nothing is written, not even missing secrets: only the names in .env are read.
        const dotEnv = readSystemSecrets(root, manifest).values;
        const managed = managedSecretVariables(manifest);
        const file = composeFile({ manifest, projectName: composeProjectName(manifest), images: {}, composeVersion, userVariables: Object.keys(dotEnv).filter((n) => !managed.has(n)) });
        process.stdout.write(composeFileText(file));
        return;
      }

      const written = await writeComposeFile(root, manifest, { composeVersion, ...(options.out ? { file: options.out } : {}), ...(options.force ? { force: true } : {}) });
      const file = composeFile({ manifest, projectName: composeProjectName(manifest), images: {}, composeVersion });
      const published = publishedPorts(file);
      if (options.json) {
        printJson({
          path: written.path,
          project: composeProjectName(manifest),
          composeVersion,
          changed: written.changed,
          files: written.files,
          secretsAdded: written.secretsAdded,
          services: Object.keys(file.services),
          published,
        });
        return;
      }
      const label = relative(process.cwd(), written.path) || written.path;
      const counts = Object.keys(file.services).length;
      info(`${colour.green('✔')} ${written.changed ? 'wrote' : 'unchanged:'} ${label} (${counts} services: ${Object.keys(file.services).join(', ')})`);
      for (const f of written.files.slice(1)) if (f.changed) info(`  ${colour.dim('wrote')} ${f.path}`);
      if (written.secretsAdded.length > 0) info(`  ${colour.dim(`generated into ${secretsFileOf(manifest) ?? 'msx\'s environment'}:`)} ${written.secretsAdded.join(', ')}`);
      for (const p of published) info(`  ${colour.dim('published:')} ${p.service} on ${p.url}`);
      info(colour.dim(`start it with msx up --target compose, or: docker compose -p ${composeProjectName(manifest)} -f ${label} up -d --wait`));
    });
}

/** What the host can reach: service and URL of each published port. */
function publishedPorts(file: ComposeFile): { service: string; url: string }[] {
  return Object.entries(file.services).flatMap(([service, spec]) =>
    (spec.ports ?? []).map((port) => {
      const host = port.slice(0, port.lastIndexOf(':', port.lastIndexOf(':') - 1));
      const hostPort = port.split(':').at(-2)!;
      return { service, url: `http://${host}:${hostPort}` };
    }),
  );
}
