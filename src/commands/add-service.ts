import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { usageError } from '../errors/cli-error.js';
import { nextFreePort, serviceEntry } from '../manifest/initial-manifest.js';
import { loadManifest, MANIFEST_FILE, parseManifest } from '../manifest/load-manifest.js';
import { httpServiceSchema } from '../manifest/schema.js';
import { writeTreeAtomically } from '../scaffold/atomic-tree-writer.js';
import { replaceFilesTogether } from '../scaffold/file-transaction.js';
import { gatewayConfigModule } from '../scaffold/gateway-config.js';
import { systemTsconfig } from '../scaffold/package-files.js';
import { runtimeBundle } from '../scaffold/runtime-bundle.js';
import { envFileText, missingSecrets, parseEnvFile } from '../scaffold/secrets.js';
import { ADDABLE_KINDS, SERVICE_KINDS } from '../scaffold/service-kinds.js';
import { GATEWAY_CONFIG_FILE, planService } from '../scaffold/system-plan.js';
import { colour } from '../ui/colour.js';
import { info, printJson } from '../ui/output.js';
import { workingDir } from './command-context.js';
import { checkServiceName } from './service-list.js';
import { requireMatchingVersions } from '../upgrade/version-check.js';

interface AddServiceOptions {
  kind: 'http' | 'worker';
  port?: string;
  database?: boolean;
  publishes?: string;
  subscribes?: string;
  force?: boolean;
  json?: boolean;
}

export function addCommand(): Command {
  const add = new Command('add').description('add something to the system in this folder');
  add.addCommand(
    new Command('service')
      .description('add a service: updates msx.yaml (keeping comments), renders the service, routes it through the gateway')
      .argument('<name>', 'service name (a DNS label, e.g. billing)')
      .addOption(new Option('-k, --kind <kind>', ADDABLE_KINDS.map((k) => `${k}: ${SERVICE_KINDS[k].summary}`).join('; ')).choices(ADDABLE_KINDS).default('http'))
      .option('-p, --port <port>', 'port of its first instance (default: the next free one from 3001)')
      .option('--database', 'the service owns a database: attached at start, migrated from migrations/, used by the example routes')
      .option('--publishes <types>', 'event types it publishes, comma-separated (e.g. user.created): a typed publisher, through the outbox with --database')
      .option('--subscribes <patterns>', 'event types or patterns it handles, comma-separated (e.g. order.*): a handler stub each, through the inbox with --database')
      .option('--force', 'replace an existing services/<name> folder that msx.yaml does not know')
      .option('--json', 'print what was added as JSON')
      .addHelpText('after', `
Examples:
  $ msx add service billing
  $ msx add service mailer --kind worker
  $ msx add service search --port 3100 --database
  $ msx add service accounts --database --publishes account.opened,account.closed
  $ msx add service mailer --kind worker --database --subscribes account.opened
  $ msx -C ./demo add service reviews`)
      .action(async (name: string, options: AddServiceOptions, command: Command) => addService(workingDir(command), name, options)),
  );
  return add;
}

async function addService(root: string, name: string, options: AddServiceOptions): Promise<void> {
  const { manifest, document } = loadManifest(root);
  requireMatchingVersions(root);
  checkServiceName(name);
  if (name in manifest.services) {
    throw usageError(`service "${name}" already exists in ${MANIFEST_FILE}`, 'choose another name, or edit its entry in msx.yaml');
  }
  const serviceDir = join(root, 'services', name);
  if (existsSync(serviceDir) && !options.force) {
    throw usageError(`services/${name} already exists but is not in ${MANIFEST_FILE}`, 'move it away, or pass --force to replace it');
  }

  const port = options.port === undefined ? nextFreePort(Object.values(manifest.services)) : parsePort(options.port);
  const holder = Object.entries(manifest.services).find(([, s]) => port >= s.port && port < s.port + s.replicas);
  if (holder) {
    throw usageError(`port ${port} is already used by service "${holder[0]}"`, `pick another --port, or leave it out to take the next free one (${nextFreePort(Object.values(manifest.services))})`);
  }
  const events = eventsFromFlags(options);
  const entry = { ...serviceEntry({ name, kind: options.kind, database: options.database }, port), ...(events ? { events } : {}) };

  // Edit the parsed document rather than re-serialising the manifest, so the
  // user's comments, key order and formatting survive.
  document.setIn(['services', name], document.createNode(entry));
  const manifestText = document.toString({ lineWidth: 0 });
  const updated = parseManifest(manifestText, MANIFEST_FILE).manifest;

  const bundle = runtimeBundle();
  const envPath = join(root, '.env');
  const existingEnv = existsSync(envPath) ? readFileSync(envPath, 'utf8') : '';
  const newSecrets = missingSecrets(updated, parseEnvFile(existingEnv));

  const changes: { path: string; content: string }[] = [{ path: 'tsconfig.json', content: systemTsconfig(updated) }];
  const gateway = Object.entries(updated.services).find(([, s]) => s.kind === 'gateway');
  if (gateway && existsSync(join(root, 'services', gateway[0]))) {
    changes.push({ path: `services/${gateway[0]}/${GATEWAY_CONFIG_FILE}`, content: gatewayConfigModule(updated) });
  }
  if (Object.keys(newSecrets).length > 0) {
    changes.push({ path: '.env', content: existingEnv ? `${existingEnv.replace(/\n?$/, '\n')}${envFileText(newSecrets).split('\n').filter((l) => l && !l.startsWith('#')).join('\n')}\n` : envFileText(newSecrets) });
  }
  // msx.yaml last: if anything before fails, the manifest still describes what is on disk.
  changes.push({ path: MANIFEST_FILE, content: manifestText });

  if (existsSync(serviceDir)) rmSync(serviceDir, { recursive: true, force: true });
  const files = planService(updated, name, bundle).map((f) => ({ ...f, path: f.path.slice(`services/${name}/`.length) }));
  await writeTreeAtomically(serviceDir, files);
  try {
    replaceFilesTogether(root, changes);
  } catch (error) {
    rmSync(serviceDir, { recursive: true, force: true });
    throw error;
  }

  const service = updated.services[name]!;
  if (options.json) {
    printJson({ name, kind: service.kind, port: service.port, dir: serviceDir, changed: changes.map((c) => c.path) });
    return;
  }
  info(`${colour.green('✔')} added ${colour.bold(name)} (${service.kind}, port ${service.port}) in services/${name}`);
  if (service.kind !== 'gateway' && service.routes.length > 0 && gateway) info(`  routed by the gateway: ${service.routes.map((r) => r.path).join(', ')} → ${name}`);
  info(`  updated: ${changes.map((c) => c.path).join(', ')}`);
  if (events && !options.database) info(`  without a database, events go straight to the bus and handlers run at least once; --database gives ${name} an outbox and an inbox`);
  info('Next: npm install && npm test');
}

/** `--publishes a.b,c.d` and `--subscribes x.*`, checked by the manifest's own rules; undefined when neither is given. */
function eventsFromFlags(options: AddServiceOptions): { publishes?: string[]; subscribes?: string[] } | undefined {
  const list = (text: string | undefined) => text?.split(',').map((s) => s.trim()).filter(Boolean);
  const publishes = list(options.publishes);
  const subscribes = list(options.subscribes);
  if (!publishes?.length && !subscribes?.length) return undefined;
  const events = { ...(publishes?.length ? { publishes } : {}), ...(subscribes?.length ? { subscribes } : {}) };
  const checked = httpServiceSchema.shape.events.safeParse(events);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    const flag = issue.path[0] === 'publishes' ? '--publishes' : '--subscribes';
    const value = (events as Record<string, string[]>)[String(issue.path[0])]?.[Number(issue.path[1])];
    throw usageError(`${flag}: "${value}" ${issue.message}`);
  }
  return events;
}

function parsePort(text: string): number {
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw usageError(`--port must be an integer from 1024 to 65535, got "${text}"`);
  }
  return port;
}
