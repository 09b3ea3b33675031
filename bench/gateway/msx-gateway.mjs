// The msx gateway as a generated system runs it: the built runtime (what
// the system's vendored @msx/runtime tarball holds, no TypeScript loader in
// the process), auth (HS256), a rate limit high enough never to reject,
// metrics on (default), static discovery.
import { existsSync } from 'node:fs';
import { pino } from 'pino';

const built = new URL('../../runtime/dist/gateway/index.js', import.meta.url);
if (!existsSync(built)) {
  console.error('runtime/dist is missing: run `npm run build` first');
  process.exit(1);
}
const { createGateway } = await import(built.href);
const { createStaticDiscovery } = await import(new URL('../../runtime/dist/discovery/static.js', import.meta.url).href);

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
