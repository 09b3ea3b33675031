/**
 * Entry point of the background supervisor that `msx up -d` starts:
 * `node supervisor-main.js <system-dir> <options-json>`. It runs one
 * session and exits when the session ends: 0 after a stop (`msx down`,
 * SIGTERM), 1 when the system failed to start (the reason is in
 * `.msx/state.json` for the waiting `msx up`, and, for a failure before
 * the instances start — a full disk, say — on the report pipe).
 */
import { closeSync, writeSync } from 'node:fs';
import { CliError } from '../../errors/cli-error.js';
import { noSpaceCliError } from '../../errors/no-space.js';
import { localPaths } from './local-paths.js';
import { newStartTimeline } from './start-timeline.js';
import type { SupervisorLaunchOptions, SupervisorStartReport } from './supervisor-launcher.js';
import { openSession, type SupervisorSession } from './supervisor-session.js';

const timeline = newStartTimeline();

process.stderr.on('error', () => {}); // the log's disk may be full: the report pipe still works

const reportFd = process.env.MSX_REPORT_FD === undefined ? undefined : Number(process.env.MSX_REPORT_FD);
delete process.env.MSX_REPORT_FD; // not for the instances

/** Tells the waiting `msx up -d` why the start failed (or, with no report, that it started), then closes the pipe. */
function report(failure: SupervisorStartReport | undefined): void {
  if (reportFd === undefined || !Number.isInteger(reportFd)) return;
  try {
    if (failure) writeSync(reportFd, JSON.stringify(failure));
    closeSync(reportFd);
  } catch {
    // the waiting msx up is gone; the log and state.json say it
  }
}

function describe(error: unknown): SupervisorStartReport {
  const shown = noSpaceCliError(error) ?? error;
  if (shown instanceof CliError) return { message: shown.message, ...(shown.options.hint ? { hint: shown.options.hint } : {}) };
  return { message: shown instanceof Error ? shown.message : String(shown) };
}

const [root, optionsJson] = process.argv.slice(2);
if (!root || !optionsJson) {
  process.stderr.write('usage: supervisor-main <system-dir> <options-json>\n');
  process.exit(2);
}
const options = JSON.parse(optionsJson) as SupervisorLaunchOptions;
let session: SupervisorSession;
try {
  // msx up hands over msx.yaml as it just read it; only a manifest too large for argv is read again.
  const manifest = options.manifest ?? (await import('../../manifest/load-manifest.js')).loadManifest(root).manifest;
  session = await openSession({ root, manifest, paths: localPaths(root), mode: 'detached', services: options.services, readyTimeoutMs: options.readyTimeoutMs, watch: options.watch, timeline });
} catch (error) {
  const failure = describe(error);
  report(failure);
  process.stderr.write(`${new Date().toISOString()} start failed: ${failure.message}\n`);
  process.exit(1);
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void session.stop());
process.on('SIGHUP', () => {}); // the terminal that started us may close

let exitCode = 0;
session.started.then(
  () => {
    report(undefined);
    process.stderr.write(`${new Date().toISOString()} every instance is ready\n`);
  },
  (error: unknown) => {
    exitCode = 1;
    report(describe(error));
    process.stderr.write(`${new Date().toISOString()} start failed: ${(error as Error).message}\n`);
  },
);
await session.ended;
process.stderr.write(`${new Date().toISOString()} stopped\n`);
process.exit(exitCode);
