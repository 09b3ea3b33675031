import { Command, InvalidArgumentError } from 'commander';
import { execa } from 'execa';
import { CliError, failure } from '../errors/cli-error.js';
import { openInsight } from '../dashboard/data/insight.js';
import type { Manifest } from '../manifest/schema.js';
import type { Target } from '../targets/target.js';
import { loadManifest } from '../manifest/load-manifest.js';
import { startDashboardServer, type InsightReader } from '../dashboard/server/dashboard-server.js';
import { removeDashboardRecord, writeDashboardRecord } from '../dashboard/server/dashboard-record.js';
import { loadAssets, MissingAssetsError } from '../dashboard/server/static-assets.js';
import { resolveTarget, targetOption } from '../targets/resolve-target.js';
import { colour } from '../ui/colour.js';
import { info, warn } from '../ui/output.js';
import { workingDir } from './command-context.js';

/** Where the dashboard listens unless --port says otherwise; a busy port falls back to any free one. */
export const DEFAULT_DASHBOARD_PORT = 7300;

function portNumber(value: string): number {
  if (!/^\d+$/.test(value) || Number(value) > 65535) throw new InvalidArgumentError(`Expected a port from 0 to 65535, got "${value}".`);
  return Number(value);
}

export function dashboardCommand(): Command {
  return new Command('dashboard')
    .description('the running system in a browser: map, instances, logs, traces, metrics, events and sagas')
    .option('-p, --port <port>', `port on 127.0.0.1 (default ${DEFAULT_DASHBOARD_PORT}, else any free one; 0 for any free one)`, portNumber)
    .option('--no-open', 'print the URL instead of opening a browser')
    .addOption(targetOption())
    .addHelpText('after', `
Examples:
  $ msx up -d && msx dashboard        # opens the browser on the running system
  $ msx dashboard --no-open --port 7300
  $ msx dashboard --target compose

Serves on 127.0.0.1 only; the URL carries a random token (new each run) and
the dashboard answers nothing without it. It reads the system through the
same target as msx ps, logs, trace and metrics, so it works the same on
local processes, compose and Kubernetes. Off a terminal it only prints the
URL. Ctrl-C stops it.`)
    .action(async (options: { port?: number; open: boolean; target?: string }, command: Command) => {
      const root = workingDir(command);
      let manifest = loadManifest(root).manifest;
      const target = resolveTarget(root, { target: options.target, manifest });
      let assets;
      try {
        assets = loadAssets();
      } catch (error) {
        if (error instanceof MissingAssetsError) throw failure(error.message, 'build msx first: npm run build in the msx checkout');
        throw error;
      }
      const insight = openInsightReader(root, manifest, target);
      const serve = (port: number) => startDashboardServer({
        target,
        assets,
        insight,
        port,
        // What msx.yaml says now: an edit shows on the next load without a restart of the dashboard.
        manifest: () => {
          try {
            manifest = loadManifest(root).manifest;
          } catch {
            // A half-edited msx.yaml: keep showing the last one that loaded.
          }
          return manifest;
        },
      });
      let server;
      try {
        server = await serve(options.port ?? DEFAULT_DASHBOARD_PORT);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'EADDRINUSE') throw error;
        if (options.port !== undefined) throw failure(`port ${options.port} on 127.0.0.1 is in use`, 'pick another with --port, or --port 0 for any free one');
        server = await serve(0);
      }
      writeDashboardRecord(root, { pid: process.pid, url: server.url });
      info(`${colour.bold('dashboard')} ${colour.cyan(server.url)}`);
      info(colour.dim(`${manifest.name} on the ${target.kind} target; Ctrl-C stops the dashboard (not the system)`));
      if (options.open && process.stdout.isTTY) openBrowser(server.url);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      removeDashboardRecord(root, process.pid);
      await server.close();
    });
}

/** The system's default browser, without waiting for it; a machine without one just has the printed URL. */
function openBrowser(url: string): void {
  const [command, args] = process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '', url]] : ['xdg-open', [url]];
  const child = execa(command, args, { detached: true, stdio: 'ignore', reject: false });
  child.unref();
  void child.catch(() => undefined);
}

/**
 * The Events and Sagas pages' data (src/dashboard/data/insight.ts), read from
 * each instance's admin surface through the target. Opening it reads the
 * system's service-token secret from its secrets file (.env or .env.<name>); a system without one (made before
 * msx minted it) still gets every other page.
 */
function openInsightReader(root: string, manifest: Manifest, target: Target): InsightReader | undefined {
  try {
    return openInsight({ root, manifest, target });
  } catch (error) {
    if (error instanceof CliError) {
      warn(`the Events and Sagas pages are off: ${error.message}`);
      return undefined;
    }
    throw error;
  }
}
