import { serviceEntry } from './preflight.js';

/**
 * V8's young generation, in MB per semi-space. Node's default (16 MB on
 * 64-bit) costs an idle service about 10 MB of resident memory for
 * throughput that a system on a laptop does not need; 2 MB keeps an idle
 * instance near 65 MB (bench/up). NODE_OPTIONS setting it wins.
 */
const SEMI_SPACE_MB = 2;

/** The argv after `node` for one instance of `service`. */
export function instanceArgs(service: string, env: Readonly<Record<string, string>>): string[] {
  const args: string[] = [];
  if (!/--max-semi-space-size/.test(env.NODE_OPTIONS ?? '')) args.push(`--max-semi-space-size=${SEMI_SPACE_MB}`);
  args.push(serviceEntry(service));
  return args;
}
