import { Command } from 'commander';
import { ALL_PROBES } from '../doctor/probes.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('show what this machine offers msx: Node, Docker, compose, Kubernetes, RabbitMQ, PostgreSQL, Redis')
    .option('--json', 'print the findings as JSON')
    .addHelpText('after', `
Examples:
  $ msx doctor
  $ msx doctor --json | jq '.[] | select(.ok == false)'
  $ REDIS_URL=redis://cache:6379 msx doctor

Addresses come from MSX_BUS_URL (or RABBITMQ_URL), DATABASE_URL and REDIS_URL,
else the standard local ports.`)
    .action(async (options: { json?: boolean }) => {
      const results = await Promise.all(ALL_PROBES.map((probe) => probe()));
      if (options.json) {
        printJson(results);
      } else {
        printTable(
          ['', 'what', 'found', 'so'],
          results.map((r) => [r.ok ? colour.green('✔') : colour.yellow('✖'), r.name, r.detail, r.impact]),
        );
        const missing = results.filter((r) => !r.ok).length;
        info(missing === 0 ? colour.green('\nEverything msx can use is here.') : `\n${missing} of ${results.length} not available; the default local target needs only Node.js.`);
      }
      if (!results[0]!.ok) process.exitCode = 1;
    });
}
