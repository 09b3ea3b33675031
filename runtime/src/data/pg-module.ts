import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let pg: typeof import('pg') | undefined;

/**
 * `pg`, loaded on first use, without the 5 MB it costs on Node 20 otherwise.
 * When its `lib/stream.js` is evaluated, pg asks whether it runs on
 * Cloudflare Workers: `navigator.userAgent` where there is a `navigator`
 * (Node 21 and later), else by constructing a `Response` — which, on Node 20,
 * loads Node's whole fetch implementation (its internal undici, about
 * 650 kB of source, and the web streams) into a process that never fetches:
 * 5 MB of private memory per service with a database (bench/up).
 * So for that one synchronous `require` there is a `navigator` saying what
 * Node 21 says, and pg takes its Node path without building a `Response`; it
 * is removed again before any other code runs. Where `navigator` exists,
 * nothing is changed.
 */
export function loadPg(): typeof import('pg') {
  if (pg) return pg;
  const global = globalThis as { navigator?: unknown };
  if (global.navigator !== undefined) return (pg = require('pg') as typeof import('pg'));
  Object.defineProperty(global, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true, writable: true });
  try {
    return (pg = require('pg') as typeof import('pg'));
  } finally {
    delete global.navigator;
  }
}
