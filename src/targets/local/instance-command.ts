import { serviceEntry } from './preflight.js';

/**
 * V8's young generation, in MB per semi-space. Node's default (16 MB on
 * 64-bit) costs an idle service about 10 MB of resident memory for
 * throughput that a system on a laptop does not need; 1 MB instead of 2
 * saves another 1.5-2 MB per idle shop instance (bench/up). NODE_OPTIONS
 * setting it wins.
 */
const SEMI_SPACE_MB = 1;

/**
 * V8's platform worker threads (concurrent marking, sweeping and background
 * compilation). Node starts 4; each holds a stack and a malloc arena that an
 * idle service pays for (about 3-4 MB resident together). One keeps the work
 * off the main thread. NODE_OPTIONS setting it wins.
 */
const V8_POOL_SIZE = 1;

/** The argv after `node` for one instance of `service`. */
export function instanceArgs(service: string, env: Readonly<Record<string, string>>): string[] {
  const args: string[] = [];
  if (!/--max-semi-space-size/.test(env.NODE_OPTIONS ?? '')) args.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  if (!/--v8-pool-size/.test(env.NODE_OPTIONS ?? '')) args.push(`--v8-pool-size=${V8_POOL_SIZE}`);
  args.push(serviceEntry(service));
  return args;
}
