import { Command, InvalidArgumentError } from 'commander';
import { CliError } from '../errors/cli-error.js';
import { findTrace, summarizeTrace } from '../observability/trace-model.js';
import { formatDuration, layoutWaterfall, renderWaterfall } from '../observability/waterfall.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { colour } from '../ui/colour.js';
import { info, printJson, printTable } from '../ui/output.js';
import { workingDir } from './command-context.js';

function positiveInteger(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError(`Expected a whole number of 1 or more, got "${value}".`);
  return Number(value);
}

export function traceCommand(): Command {
  return new Command('trace')
    .description('list recent traces, or draw one as a waterfall across services')
    .argument('[id]', 'trace id (or a unique prefix of 8 or more hex digits) to draw')
    .option('-n, --limit <count>', 'how many recent traces to list', positiveInteger, 20)
    .option('--json', 'print the traces (or the trace\'s spans) as JSON')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx trace                         # the 20 most recent traces
  $ msx trace --limit 5 --json | jq '.[] | select(.errors > 0)'
  $ msx trace 4bf92f35                # one trace as a waterfall
  $ msx logs --trace 4bf92f3577b34da6a3ce929d0e0e4736

Spans come from the collector msx up runs beside the system (locally kept
under .msx/traces, on compose in the msx-collector container; 48 hours, at
most 64 MiB); a service traces when OTEL_EXPORTER_OTLP_ENDPOINT is set.`)
    .action(async (id: string | undefined, options: { limit: number; json?: boolean; target?: string }, command: Command) => {
      const source = resolveTarget(workingDir(command), { target: options.target }).traces();
      if (id === undefined) {
        const traces = (await source.recent(options.limit)).map(summarizeTrace);
        if (options.json) return printJson(traces);
        if (traces.length === 0) return info(`no traces yet in ${source.location}\n${colour.dim('start the system with msx up and send it a request')}`);
        printTable(
          ['trace', 'started', 'root', 'status', 'duration', 'spans', 'errors', 'services'],
          traces.map((t) => [
            t.traceId,
            t.startedAt.slice(11, 23),
            `${t.rootService} ${t.root}`,
            t.errors > 0 || /^5/.test(t.status) || t.status === 'error' ? colour.red(t.status) : t.status,
            formatDuration(t.durationMs),
            String(t.spans),
            t.errors > 0 ? colour.red(String(t.errors)) : '0',
            t.services.join(', '),
          ]),
        );
        return;
      }
      if (!/^[\da-fA-F]{1,32}$/.test(id)) throw new CliError(`"${id}" is not a trace id`, { exitCode: 2, hint: 'a trace id is 32 hex digits; msx trace lists recent ones' });
      const found = findTrace(await source.recent(), id);
      if (found === 'ambiguous') throw new CliError(`more than one trace starts with ${id}`, { exitCode: 2, hint: 'give more digits of the trace id' });
      if (found === undefined) throw new CliError(`no trace ${id} in ${source.location}`, { exitCode: 1, hint: 'msx trace lists the traces kept; spans may still be in flight for a second or two' });
      const summary = summarizeTrace(found);
      const barWidth = Math.max(10, Math.min(60, (process.stdout.columns ?? 120) - 80));
      const rows = layoutWaterfall(found, barWidth);
      if (options.json) {
        return printJson({
          ...summary,
          spans: rows.map((r) => ({ ...r.span, depth: r.depth, offsetMs: r.offsetMs, durationMs: r.durationMs, error: r.error })),
        });
      }
      info(`trace ${summary.traceId}  ${summary.rootService} ${summary.root}  ${summary.status}  ${formatDuration(summary.durationMs)}  ${summary.spans} spans  ${summary.errors > 0 ? colour.red(`${summary.errors} errors`) : '0 errors'}  ${summary.startedAt}`);
      for (const line of renderWaterfall(rows, barWidth, { red: colour.red, dim: colour.dim })) info(line);
    });
}
