import { Command } from 'commander';
import { breakingChanges, type BreakingChange } from '../contracts/breaking-changes.js';
import { committedContractPath, readCommittedContracts, writeCommittedContract } from '../contracts/committed-contracts.js';
import { systemDocuments } from '../contracts/system-documents.js';
import { CliError, usageError } from '../errors/cli-error.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';

export function contractsCommand(): Command {
  const contracts = new Command('contracts').description('keep the services\' APIs backward compatible: compare each contract with the one committed in contracts/');
  contracts
    .command('check')
    .description('report every change from the committed contracts that breaks a caller; exit 1 when there is one')
    .option('--json', 'print the breaking changes as JSON')
    .addHelpText('after', `
Examples:
  $ msx contracts check              # in CI: fails on a removed route or field, a narrowed type, a new required field
  $ msx contracts check --json | jq '.breaking[] | "\\(.service) \\(.route) \\(.field)"'

Breaking: a removed path or operation, a response field removed or made
optional, a response type changed, a request field or parameter made
required, a request type or enum narrowed. Adding is never breaking. When a
break is intended, version the route instead, or accept it with
msx contracts update and tell the callers.`)
    .action(async (options: { json?: boolean }, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      const current = await systemDocuments(root, manifest);
      const committed = readCommittedContracts(root);
      const breaking: BreakingChange[] = [];
      const uncommitted: string[] = [];
      for (const [service, before] of committed) {
        const after = current.get(service);
        if (after === undefined) {
          breaking.push({ service, route: '(service)', location: 'contract', change: `${service} has no contract any more (its service or its src/contract.ts is gone)` });
          continue;
        }
        breaking.push(...(await breakingChanges(service, before, after)));
      }
      for (const service of current.keys()) if (!committed.has(service)) uncommitted.push(service);
      if (options.json) {
        printJson({ breaking, uncommitted, checked: [...committed.keys()] });
      } else {
        if (breaking.length > 0) printTable(['SERVICE', 'ROUTE', 'WHERE', 'FIELD', 'CHANGE'], breaking.map((b) => [b.service, b.route, b.location, b.field ?? '', b.change]));
        else info(`${colour.green('✔')} no breaking changes in ${committed.size} committed contract${committed.size === 1 ? '' : 's'}`);
        for (const service of uncommitted) info(colour.yellow(`${service} has no committed contract yet: msx contracts update ${service} writes ${committedContractPath(service)}`));
      }
      if (breaking.length > 0) {
        throw new CliError(`${breaking.length} breaking change${breaking.length === 1 ? '' : 's'} in ${[...new Set(breaking.map((b) => b.service))].join(', ')}`, {
          exitCode: 1,
          hint: 'restore what callers rely on (add, do not remove or narrow), or accept the change with msx contracts update <service>',
        });
      }
    });
  contracts
    .command('update')
    .description('write the current contracts into contracts/<service>.openapi.json, to be committed')
    .argument('[services...]', 'only these (default: every service with a contract, and the gateway)')
    .addHelpText('after', `
Examples:
  $ msx contracts update             # after an intended change; commit contracts/
  $ msx contracts update users`)
    .action(async (services: string[], _options: unknown, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      const current = await systemDocuments(root, manifest);
      for (const service of services) {
        if (!current.has(service)) throw usageError(`${service} has no contract`, `services with one: ${[...current.keys()].join(', ') || 'none'}`);
      }
      for (const [service, document] of current) {
        if (services.length > 0 && !services.includes(service)) continue;
        writeCommittedContract(root, service, document);
        info(`${colour.green('✔')} wrote ${committedContractPath(service)}`);
      }
    });
  return contracts;
}
