// The msx gateway as a generated system runs it: the built runtime (what
// the system's vendored @msx/runtime tarball holds, no TypeScript loader in
// the process), auth (HS256), a rate limit high enough never to reject,
// metrics on (default), static discovery.
// MSX_BENCH_RUNTIME_DIST points it at another checkout's runtime/dist (run.mjs
// --baseline), so two versions of the gateway run with this one config.
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';

const dist = process.env.MSX_BENCH_RUNTIME_DIST ? pathToFileURL(`${process.env.MSX_BENCH_RUNTIME_DIST.replace(/\/+$/, '')}/`) : new URL('../../runtime/dist/', import.meta.url);
const built = new URL('gateway/index.js', dist);
if (!existsSync(built)) {
  console.error(`${built.pathname} is missing: run \`npm run build\` in that checkout first`);
  process.exit(1);
}
const { createGateway } = await import(built.href);
const { createStaticDiscovery } = await import(new URL('discovery/static.js', dist).href);

const [upstreamUrl, secret] = process.argv.slice(2);
const gateway = createGateway({
  name: 'bench-gateway',
  routes: [{ path: '/api/items', to: '/items', service: 'items' }],
  discovery: createStaticDiscovery({ services: { items: [upstreamUrl] } }),
  auth: { algorithms: ['HS256'], secret, issuer: 'bench', audience: 'bench-api' },
  identitySecret: 'bench-identity-secret-0123456789',
  rateLimits: { default: { points: 1_000_000_000, durationSec: 60, by: 'subject' } },
  logger: pino({ level: 'warn' }),
});
const address = await gateway.listen({ port: 0, host: '127.0.0.1' });
console.log(`READY ${address.port}`);
