import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, Option } from 'commander';
import { typedClientFiles } from '../contracts/typed-client-files.js';
import { CliError, usageError } from '../errors/cli-error.js';
import { EXAMPLES, type ExampleName } from '../examples/examples.js';
import { initialManifest } from '../manifest/initial-manifest.js';
import { DNS_LABEL_RULE, dnsLabelProblem, suggestDnsLabel } from '../manifest/names.js';
import { manifestSchema } from '../manifest/schema.js';
import { writeTreeAtomically } from '../scaffold/atomic-tree-writer.js';
import { runtimeBundle } from '../scaffold/runtime-bundle.js';
import { systemSecrets } from '../scaffold/secrets.js';
import { planSystem } from '../scaffold/system-plan.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { canPrompt, invocationDir } from './command-context.js';
import { checkServiceName, parseServiceList } from './service-list.js';

interface NewOptions {
  services?: string;
  example?: string;
  name?: string;
  yes?: boolean;
  force?: boolean;
  json?: boolean;
}

const DEFAULT_SERVICES = 'users,orders';

export function newCommand(): Command {
  return new Command('new')
    .description('scaffold a new system: msx.yaml, a gateway, services, tests, secrets')
    .argument('<dir>', 'folder to create (must be empty or absent unless --force)')
    .option('-s, --services <list>', 'services to create, comma-separated; name:worker for a worker (e.g. users,orders,mailer:worker)')
    .addOption(new Option('-e, --example <name>', 'generate an example system').choices(Object.keys(EXAMPLES)))
    .option('--name <name>', 'system name (default: the folder name)')
    .option('-y, --yes', 'accept defaults instead of asking')
    .option('--force', 'write into a non-empty folder, replacing files msx generates')
    .option('--json', 'print what was created as JSON')
    .addHelpText('after', `
Examples:
  $ msx new demo --services users,orders --yes
  $ msx new shop --example shop --yes
  $ msx new acme --name acme-platform --services accounts,billing,mailer:worker
  $ msx new                      # in a terminal: asks for what is missing

Then: cd <dir> && npm install && npm test`)
    .action(async (dir: string, options: NewOptions, command: Command) => {
      await runNew(resolve(invocationDir(command), dir), options);
    });
}

async function runNew(target: string, options: NewOptions): Promise<void> {
  const interactive = canPrompt(options.yes);
  if (!options.example && !options.services && interactive) options = { ...options, example: await askExample() };
  if (options.example) checkExample(options.example as ExampleName);
  const shownTarget = relative(process.cwd(), target) || target;
  if (existsSync(target) && !statSync(target).isDirectory()) {
    throw usageError(`${shownTarget} exists and is not a folder`, 'give msx new the path of a new (or empty) folder, e.g. msx new demo');
  }
  if (existsSync(target) && readdirSync(target).length > 0 && !options.force) {
    throw usageError(`${relative(process.cwd(), target) || target} is not empty`, 'choose a new folder, or pass --force to generate into it anyway (files msx generates are replaced)');
  }

  const systemName = options.name ?? (interactive ? await askSystemName(basename(target)) : basename(target));
  const nameProblem = dnsLabelProblem(systemName);
  if (nameProblem) {
    throw usageError(`"${systemName}" cannot be a system name: ${nameProblem}`, `a name must be ${DNS_LABEL_RULE}; pass --name ${suggestDnsLabel(systemName)}`);
  }
  const example = options.example as ExampleName | undefined;
  if (example && options.services) {
    throw usageError('--example and --services cannot be combined', `generate the example, then grow it with: msx add service <name>`);
  }
  const manifestInput = example
    ? EXAMPLES[example].manifest(systemName)
    : initialManifest(systemName, parseServiceList(options.services ?? (interactive ? await askServices() : DEFAULT_SERVICES)));
  const manifest = manifestSchema.parse(manifestInput);
  const planned = planSystem(manifest, manifestInput, runtimeBundle(), systemSecrets(manifest), { example });
  // Typed clients come from the callees' contracts, which are only planned yet: loaded from memory.
  const sources = new Map(planned.filter((f) => f.path.endsWith('.ts')).map((f) => [join(target, f.path), f.content.toString()]));
  const files = [...planned, ...(await typedClientFiles(target, manifest, sources)).map(({ path, content }) => ({ path, content }))];

  const pauseMs = Number(process.env.MSX_TEST_PAUSE_BEFORE_COMMIT_MS ?? 0);
  try {
    await writeTreeAtomically(target, files, {
      merge: options.force,
      beforeCommit: pauseMs > 0 ? () => sleep(pauseMs) : undefined,
    });
  } catch (error) {
    throw writeFailure(shownTarget, error);
  }

  const shown = relative(process.cwd(), target) || '.';
  if (options.json) {
    printJson({ dir: target, name: systemName, services: Object.entries(manifest.services).map(([name, s]) => ({ name, kind: s.kind, port: s.port })), files: files.map((f) => f.path) });
    return;
  }
  info(`${colour.green('✔')} created ${colour.bold(systemName)} in ${shown} (${files.length} files)`);
  for (const [name, service] of Object.entries(manifest.services)) {
    info(`  ${name.padEnd(16)} ${service.kind.padEnd(8)} :${service.port}`);
  }
  info('');
  info('Next:');
  info(`  cd ${shown}`);
  info('  npm install     # install the services (npm workspaces)');
  info('  npm run build   # compile them (npm test also runs their tests)');
  info('  msx up          # run the whole system here; msx ps, logs, trace, down');
}

/** Errors of the file system that are the situation's, not msx's: said plainly, exit 1. Nothing was left behind (the writer cleans up). */
const WRITE_PROBLEMS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOTDIR: 'a part of the path is a file, not a folder',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up',
  ENAMETOOLONG: 'the path is too long',
  ENOENT: 'a folder on the path does not exist and cannot be created',
};

function writeFailure(shownTarget: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  const problem = code ? WRITE_PROBLEMS[code] : undefined;
  if (!problem) return error;
  return new CliError(`cannot create ${shownTarget}: ${problem}`, {
    exitCode: 1,
    hint: code === 'ENOSPC' || code === 'EDQUOT' ? 'free some space, then run msx new again; nothing was written' : 'choose a folder you can write to (e.g. under your home folder); nothing was written',
    cause: error,
  });
}

function checkExample(example: ExampleName): void {
  const entry: { available: boolean; unavailableReason: string } = EXAMPLES[example];
  // MSX_EXAMPLES_PREVIEW lets msx's own developers generate an example that is still being written.
  if (!entry.available && !process.env.MSX_EXAMPLES_PREVIEW) {
    throw new CliError(`the "${example}" example is not available yet: ${entry.unavailableReason}`, {
      exitCode: 2,
      hint: 'generate your own services meanwhile, e.g. msx new demo --services users,orders --yes',
    });
  }
}

/** Asks whether to start from an example; undefined means "my own services". */
async function askExample(): Promise<string | undefined> {
  const { select } = await import('@inquirer/prompts');
  const choice = await select<string>({
    message: 'Start from',
    choices: [
      { name: 'my own services', value: '' },
      ...Object.entries(EXAMPLES).map(([name, example]) => ({
        name: `the ${name} example: ${example.summary}`,
        value: name,
        disabled: example.available ? false : '(not available yet)',
      })),
    ],
  });
  return choice || undefined;
}

async function askSystemName(fallback: string): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({
    message: 'System name',
    default: dnsLabelProblem(fallback) ? suggestDnsLabel(fallback) : fallback,
    validate: (value) => {
      const problem = dnsLabelProblem(value);
      return problem ? `${problem}; must be ${DNS_LABEL_RULE}` : true;
    },
  });
}

async function askServices(): Promise<string> {
  const { input } = await import('@inquirer/prompts');
  return input({
    message: 'Services (comma-separated; name:worker for a worker)',
    default: DEFAULT_SERVICES,
    validate: (value) => {
      try {
        parseServiceList(value).forEach((s) => checkServiceName(s.name));
        return true;
      } catch (error) {
        return error instanceof CliError ? `${error.message}${error.options.hint ? ` (${error.options.hint})` : ''}` : String(error);
      }
    },
  });
}
