/**
 * Evaluated just before `pg` (pg-loaded.ts imports it first): gives Node 20
 * the `navigator` global Node 21 and later have, so that pg's
 * `lib/stream.js` reads `navigator.userAgent` to learn it is not on
 * Cloudflare Workers, instead of constructing a `Response` to find out —
 * which loads Node's whole fetch implementation (its internal undici and the
 * web streams, 5 MB of private memory per service with a database, bench/up)
 * into a process that never fetches. Where `navigator` exists, nothing is
 * changed. pg-loaded.ts removes it again right after pg has been evaluated:
 * no other code runs in between, since evaluating one module graph without
 * top-level await is synchronous.
 */
const global = globalThis as { navigator?: unknown };
const added = global.navigator === undefined;
if (added) {
  Object.defineProperty(global, 'navigator', { value: { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }, configurable: true, writable: true });
}

/** Takes away the `navigator` this module added, if it added one. */
export function removePgNavigator(): void {
  if (added) delete global.navigator;
}
