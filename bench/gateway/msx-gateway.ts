// The msx gateway as a generated system runs it: auth (HS256), a rate limit
// high enough never to reject, metrics on (default), static discovery.
import { pino } from 'pino';
import { createGateway } from '../../runtime/src/gateway/index.js';
import { createStaticDiscovery } from '../../runtime/src/discovery/static.js';

const [upstreamUrl, secret] = process.argv.slice(2) as [string, string];
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
