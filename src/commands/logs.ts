import { Command } from 'commander';
import { usageError } from '../errors/cli-error.js';
import { DURATION_HELP, durationFlag } from '../manifest/duration.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { formatEntry } from '../logs/log-format.js';
import { LEVELS } from '../logs/log-line.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { colour } from '../ui/colour.js';
import { workingDir } from './command-context.js';
import { warnOnVersionMismatch } from '../upgrade/version-check.js';

interface LogsOptions {
  follow?: boolean;
  since?: number;
  level?: string;
  grep?: string;
  trace?: string;
  tail?: string;
  json?: boolean;
  target?: string;
}

export function logsCommand(): Command {
  return new Command('logs')
    .description('show and follow logs of every instance, filtered by service, time, level, text or trace id')
    .argument('[services...]', 'services (users) or instances (users-2); default all')
    .option('-f, --follow', 'keep printing new lines (Ctrl-C to stop)')
    .option('--since <duration>', 'only lines from the last <duration>, e.g. 10m (a bare number is seconds)', durationFlag({ example: '10m' }))
    .option('--level <level>', `only this level and above: ${Object.keys(LEVELS).join(', ')}`)
    .option('--grep <text>', 'only lines containing <text> (case-insensitive)')
    .option('--trace <id>', 'only lines of one request: its trace id or request id')
    .option('-n, --tail <lines>', 'only the last <lines> lines before following')
    .option('--json', 'print the raw JSON lines')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx logs
  $ msx logs orders -f
  $ msx logs --since 10m --level warn
  $ msx logs --trace 4bf92f3577b34da6a3ce929d0e0e4736
  $ msx logs users-2 --json | jq .msg

${DURATION_HELP}
Locally, logs are kept in .msx/logs/<instance>.log until the next msx up;
on compose they are the containers' logs, read through the Docker engine.`)
    .action(async (sources: string[], options: LogsOptions, command: Command) => {
      const root = workingDir(command);
      const { manifest } = loadManifest(root);
      warnOnVersionMismatch(root);
      const since = options.since;
      const minLevel = options.level === undefined ? undefined : LEVELS[options.level.toLowerCase()];
      if (options.level !== undefined && minLevel === undefined) throw usageError(`--level must be one of ${Object.keys(LEVELS).join(', ')}, got "${options.level}"`);
      const tail = options.tail === undefined ? undefined : Number(options.tail);
      if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw usageError(`--tail must be a whole number, got "${options.tail}"`);
      const known = Object.keys(manifest.services);
      for (const source of sources) {
        const service = /^(.*)-\d+$/.exec(source)?.[1] ?? source;
        if (!known.includes(source) && !known.includes(service)) throw usageError(`unknown service "${source}"`, `services in msx.yaml: ${known.join(', ')}`);
      }

      const width = Math.max(8, ...known.map((n) => n.length + 2));
      const abort = new AbortController();
      const stop = () => abort.abort();
      process.once('SIGINT', stop);
      try {
        await resolveTarget(root, { target: options.target, manifest }).logs(
          { sources, follow: Boolean(options.follow), since: since === undefined ? undefined : Date.now() - since, minLevel, grep: options.grep, trace: options.trace, tail },
          (entry) => process.stdout.write(`${options.json ? entry.raw : formatEntry(entry, colour, width)}\n`),
          abort.signal,
        );
      } finally {
        process.off('SIGINT', stop);
      }
    });
}
