/**
 * Entry point of the background supervisor that `msx up -d` starts:
 * `node supervisor-main.js <system-dir> <options-json>`. It runs one
 * session and exits when the session ends: 0 after a stop (`msx down`,
 * SIGTERM), 1 when the system failed to start (the reason is in
 * `.msx/state.json` for the waiting `msx up`).
 */
import { loadManifest } from '../../manifest/load-manifest.js';
import { localPaths } from './local-paths.js';
import { openSession } from './supervisor-session.js';

interface DetachedOptions {
  readonly services: readonly string[];
  readonly readyTimeoutMs: number;
  readonly watch?: boolean;
}

const [root, optionsJson] = process.argv.slice(2);
if (!root || !optionsJson) {
  process.stderr.write('usage: supervisor-main <system-dir> <options-json>\n');
  process.exit(2);
}
const options = JSON.parse(optionsJson) as DetachedOptions;
const { manifest } = loadManifest(root);
const session = await openSession({ root, manifest, paths: localPaths(root), mode: 'detached', services: options.services, readyTimeoutMs: options.readyTimeoutMs, watch: options.watch });
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void session.stop());
process.on('SIGHUP', () => {}); // the terminal that started us may close

let exitCode = 0;
session.started.then(
  () => process.stderr.write(`${new Date().toISOString()} every instance is ready\n`),
  (error: unknown) => {
    exitCode = 1;
    process.stderr.write(`${new Date().toISOString()} start failed: ${(error as Error).message}\n`);
  },
);
await session.ended;
process.stderr.write(`${new Date().toISOString()} stopped\n`);
process.exit(exitCode);
