import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { CliError, usageError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { DNS_LABEL, DNS_LABEL_RULE } from '../manifest/names.js';
import type { Manifest } from '../manifest/schema.js';
import { readSystemSecrets, secretsFileOf } from '../secrets/system-secrets.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { invocationDir, workingDir } from './command-context.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';

interface RenderKubernetesOptions {
  out?: string;
  stdout?: boolean;
  json?: boolean;
  includeSecrets?: boolean;
  namespace?: string;
  force?: boolean;
}

/** Where `msx render kubernetes` writes when no --out is given: one folder per system, beside the system's code. */
export function defaultKubernetesDir(root: string, manifest: Manifest): string {
  return join(root, 'deploy', 'kubernetes', manifest.name);
}

export function renderKubernetesCommand(): Command {
  return new Command('kubernetes')
    .alias('k8s')
    .description('write the system\'s Kubernetes manifests: validated against the Kubernetes schemas, one folder with a kustomization.yaml')
    .option('-o, --out <dir>', 'folder to write the files into (default: deploy/kubernetes/<system>)')
    .option('--stdout', 'print every object as one YAML stream instead of writing files')
    .option('--json', 'print JSON: a summary of the files written, or with --stdout the objects as a v1 List')
    .option('-n, --namespace <name>', 'namespace to render for (default: infrastructure.kubernetes.namespace, else the system name)')
    .option('--include-secrets', 'with --stdout only: add the system\'s Secret from .env, for piping into kubectl (never written to a file)')
    .option('--force', 'overwrite files in the folder that msx did not write')
    .addHelpText('after', `
Examples:
  $ msx render kubernetes                           # writes deploy/kubernetes/<system>/
  $ kubectl apply -k deploy/kubernetes/shop         # what msx deploy does, without msx
  $ msx render kubernetes --out k8s/base            # base of your own kustomize overlays
  $ msx render kubernetes --stdout | kubectl diff -f -
  $ msx render kubernetes --stdout --include-secrets | kubectl apply --server-side -f -
  $ msx render kubernetes --stdout --json | jq '.items[] | select(.kind=="Deployment") | .metadata.name'

Every object is checked before anything is written: against the Kubernetes
OpenAPI schemas (kubernetes-models), for unknown fields, and for ranges the
schemas do not state; an invalid object is reported with its path and nothing
is written (exit code 1). Secrets are never written: pods read the Secret
<system>-secrets by key, which msx deploy creates from .env. Files msx wrote
before and no longer renders are removed; files it did not write are left
alone. Images are named by the content-hash tags msx build gives them.`)
    .action(async (options: RenderKubernetesOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      requireMatchingVersions(root);
      if (options.includeSecrets && !options.stdout) {
        throw usageError(
          '--include-secrets only works with --stdout: secret values are never written to files',
          'pipe them instead: msx render kubernetes --stdout --include-secrets | kubectl apply --server-side -f -',
        );
      }
      if (options.stdout && options.out !== undefined) throw usageError('--stdout and --out exclude each other', 'pick one: print the objects, or write them into a folder');
      if (options.namespace !== undefined && !DNS_LABEL.test(options.namespace)) {
        throw usageError(`--namespace ${JSON.stringify(options.namespace)} is not a valid namespace: it must be ${DNS_LABEL_RULE}`);
      }

      const render = await import('../targets/kubernetes/render/render-objects.js');
      const { validateObjects } = await import('../targets/kubernetes/render/validate-objects.js');
      const { serviceImages } = await import('../targets/kubernetes/render/service-images.js');
      const namespace = options.namespace ?? render.kubernetesNamespace(manifest);
      const images = await serviceImages(root, manifest);
      const includeSecrets = options.includeSecrets ? { values: readDotEnv(root, manifest) } : undefined;
      let objects;
      try {
        objects = render.kubernetesObjects({ manifest, images, namespace, ...(includeSecrets ? { includeSecrets } : {}) });
      } catch (error) {
        if (error instanceof render.MissingSecretKeysError) {
          throw new CliError(error.message, { exitCode: 2, hint: `add ${error.keys.join(', ')} to .env (a random value each), then run again` });
        }
        throw error;
      }

      const issues = validateObjects(objects);
      if (issues.length > 0) {
        throw new CliError(`${issues.length} rendered object${issues.length === 1 ? ' is' : 's are'} invalid; nothing was written`, {
          exitCode: 1,
          details: issues.map((issue) => `${issue.object} ${issue.path}: ${issue.problem}`),
          hint: 'a value from msx.yaml (infrastructure.kubernetes, resources, env) may be wrong; if msx.yaml looks right, report it with this output',
        });
      }

      const { renderedFiles, yamlDocuments } = await import('../targets/kubernetes/render/rendered-files.js');
      if (options.stdout) {
        if (options.json) return printJson({ apiVersion: 'v1', kind: 'List', items: objects });
        process.stdout.write(yamlDocuments(objects, [`# Rendered by msx from msx.yaml (${objects.length} objects, namespace ${namespace})`]));
        return;
      }

      const { writeRenderedFolder, ForeignFileError } = await import('../targets/kubernetes/render/write-rendered.js');
      const dir = options.out !== undefined ? resolve(invocationDir(command), options.out) : defaultKubernetesDir(root, manifest);
      const files = renderedFiles(manifest, objects);
      let changes;
      try {
        changes = writeRenderedFolder(dir, files, { force: options.force === true });
      } catch (error) {
        if (error instanceof ForeignFileError) {
          throw new CliError(`${relative(process.cwd(), dir) || dir}: ${error.message}; render would overwrite ${error.paths.length === 1 ? 'it' : 'them'}`, {
            exitCode: 2,
            hint: 'render into another folder with --out, move the files away, or overwrite them with --force',
          });
        }
        throw error;
      }
      const shown = relative(process.cwd(), dir) || '.';
      if (options.json) {
        return printJson({
          dir,
          namespace,
          objects: objects.length,
          files: changes.map((c) => ({ ...c, objects: files.find((f) => f.path === c.path)?.objects.map((o) => `${o.kind}/${o.metadata?.name}`) ?? [] })),
        });
      }
      const changed = changes.filter((c) => c.change !== 'unchanged');
      for (const c of changed) info(`${c.change === 'removed' ? colour.yellow('removed') : colour.green(c.change.padEnd(7))} ${join(shown, c.path)}`);
      info(`${colour.green('✔')} ${objects.length} objects for namespace ${namespace} in ${shown}/ (${changed.length === 0 ? 'nothing changed' : `${changed.length} file${changed.length === 1 ? '' : 's'} changed`}), valid against the Kubernetes schemas`);
      info(colour.dim(`apply with msx deploy (which also creates the Secret ${manifest.name}-secrets from .env), or kubectl apply -k ${shown}`));
    });
}

/** The run's secrets (`.env`, or the environment's `.env.<name>`) for --include-secrets; render never generates any. */
function readDotEnv(root: string, manifest: Manifest): Readonly<Record<string, string>> {
  const file = secretsFileOf(manifest);
  if (file !== undefined && !existsSync(join(root, file))) {
    throw new CliError(`${file} is missing: --include-secrets puts its values into the Secret`, { exitCode: 2, hint: `restore ${file} (msx new generated .env, msx up or deploy --env <name> generates .env.<name>; it is git-ignored), or render without --include-secrets` });
  }
  return readSystemSecrets(root, manifest).values;
}
