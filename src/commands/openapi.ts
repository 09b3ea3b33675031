import { mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Command } from 'commander';
import { systemDocuments } from '../contracts/system-documents.js';
import { documentText } from '../contracts/committed-contracts.js';
import { usageError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { invocationDir, workingDir } from './command-context.js';

interface OpenApiOptions {
  out?: string;
  json?: boolean;
}

export function openapiCommand(): Command {
  return new Command('openapi')
    .description("the OpenAPI 3.1 documents of the services' contracts (src/contract.ts) and of the gateway's public API")
    .argument('[service]', 'print this service\'s document (the gateway\'s name for the public API)')
    .option('-o, --out <dir>', 'write <service>.openapi.json files into this folder instead of printing')
    .option('--json', 'without a service: print every document as one JSON object keyed by service')
    .addHelpText('after', `
Examples:
  $ msx openapi                      # which services have a contract, and their operations
  $ msx openapi users                # users' document on stdout
  $ msx openapi gateway | jq '.paths | keys'
  $ msx openapi --out docs/api       # every document, as docs/api/<service>.openapi.json

The documents come from the source as it is now. Running services serve theirs
on GET /openapi.json (to verified callers); the gateway serves the public API
on GET /openapi.json to anyone.`)
    .action(async (service: string | undefined, options: OpenApiOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      if (service !== undefined && manifest.services[service] === undefined) {
        throw usageError(`msx.yaml has no service "${service}"`, `one of: ${Object.keys(manifest.services).join(', ')}`);
      }
      const documents = await systemDocuments(root, manifest);
      if (service !== undefined && !documents.has(service)) {
        throw usageError(`${service} declares no contract`, `declare its routes in services/${service}/src/contract.ts with defineContract from @msx/runtime/contract`);
      }
      const selected = service === undefined ? [...documents] : [[service, documents.get(service)!] as const];
      if (options.out !== undefined) {
        const dir = resolve(invocationDir(command), options.out);
        mkdirSync(dir, { recursive: true });
        for (const [name, document] of selected) {
          writeFileSync(join(dir, `${name}.openapi.json`), documentText(document));
          info(`${colour.green('✔')} wrote ${relative(process.cwd(), join(dir, `${name}.openapi.json`))}`);
        }
        return;
      }
      if (service !== undefined) return void process.stdout.write(documentText(documents.get(service)!));
      if (options.json) return printJson(Object.fromEntries(documents));
      printTable(
        ['SERVICE', 'OPERATIONS', 'PUBLIC'],
        [...documents].map(([name, document]) => {
          const operations = Object.values(document.paths).flatMap((item) => Object.values(item));
          const open = operations.filter((op) => Array.isArray(op?.security) && op.security.length === 0).length;
          return [name, String(operations.length), manifest.services[name]?.kind === 'gateway' ? String(open) : '-'];
        }),
      );
      info(colour.dim('msx openapi <service> prints one; --out <dir> writes them all'));
    });
}
