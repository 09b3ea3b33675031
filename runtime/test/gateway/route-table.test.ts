import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildRouteTable, GatewayConfigError, parseBodyLimit } from '../../src/gateway/index.js';

describe('buildRouteTable', () => {
  const table = buildRouteTable(
    [
      { path: '/api/users', to: '/users', service: 'users' },
      { path: '/api/users/admin', to: '/admin', service: 'admin', methods: ['GET'] },
      { path: '/api/users/admin', to: '/admin-write', service: 'admin', methods: ['POST'] },
      { path: '/api/public/', to: '/', service: 'web', public: true },
      { path: '/', to: '/fallback', service: 'web' },
    ],
    [],
  );

  it('rewrites the matched prefix and keeps the rest and the query', () => {
    const m = table.match('GET', '/api/users/42?expand=orders');
    assert.equal(m.kind, 'route');
    assert.equal(m.kind === 'route' && m.route.service, 'users');
    assert.equal(m.kind === 'route' && m.upstreamPath, '/users/42?expand=orders');
  });

  it('matches the bare prefix and a trailing slash', () => {
    const bare = table.match('GET', '/api/users');
    assert.equal(bare.kind === 'route' && bare.upstreamPath, '/users');
    const slash = table.match('GET', '/api/users/');
    assert.equal(slash.kind === 'route' && slash.upstreamPath, '/users/');
    const query = table.match('GET', '/api/users?x=1');
    assert.equal(query.kind === 'route' && query.upstreamPath, '/users?x=1');
  });

  it('matches prefixes only on segment boundaries', () => {
    const m = table.match('GET', '/api/usersx');
    assert.equal(m.kind === 'route' && m.route.path, '/');
    assert.equal(m.kind === 'route' && m.upstreamPath, '/fallback/api/usersx');
  });

  it('prefers the longest prefix, then the method', () => {
    const get = table.match('GET', '/api/users/admin/1');
    assert.equal(get.kind === 'route' && get.upstreamPath, '/admin/1');
    const post = table.match('POST', '/api/users/admin/1');
    assert.equal(post.kind === 'route' && post.upstreamPath, '/admin-write/1');
  });

  it('answers method-not-allowed with the allowed methods at the longest prefix', () => {
    const m = table.match('DELETE', '/api/users/admin');
    assert.deepEqual(m, { kind: 'method-not-allowed', allow: ['GET', 'POST'] });
  });

  it('rewrites to the root of a service and keeps the public flag', () => {
    const m = table.match('GET', '/api/public/index.html');
    assert.equal(m.kind === 'route' && m.upstreamPath, '/index.html');
    assert.equal(m.kind === 'route' && m.route.public, true);
    const root = table.match('GET', '/api/public');
    assert.equal(root.kind === 'route' && root.upstreamPath, '/');
  });

  it('refuses dot segments, plain or percent-encoded', () => {
    assert.equal(table.match('GET', '/api/public/../users/1').kind, 'bad-path');
    assert.equal(table.match('GET', '/api/public/%2e%2E/users').kind, 'bad-path');
    assert.equal(table.match('GET', '/api/./users').kind, 'bad-path');
    assert.equal(table.match('GET', '/api/users/..'.concat('x')).kind, 'route');
  });

  it('returns not-found when nothing matches', () => {
    const t = buildRouteTable([{ path: '/api', to: '/', service: 's' }]);
    assert.deepEqual(t.match('GET', '/other'), { kind: 'not-found' });
  });

  it('applies defaults and the default rate-limit group', () => {
    const t = buildRouteTable([{ path: '/a', to: '/', service: 's' }], ['default']);
    const r = t.routes[0]!;
    assert.equal(r.timeoutMs, 10_000);
    assert.equal(r.bodyLimitBytes, 10 * 1024 * 1024);
    assert.equal(r.public, false);
    assert.equal(r.rateLimit, 'default');
  });

  it('rejects bad configuration with the option named', () => {
    const cases: [unknown, string][] = [
      [[{ path: 'api', to: '/', service: 's' }], 'routes[0].path'],
      [[{ path: '/a', to: '/', service: '' }], 'routes[0].service'],
      [[{ path: '/a', to: '/', service: 's', timeoutMs: -1 }], 'routes[0].timeoutMs'],
      [[{ path: '/a', to: '/', service: 's', bodyLimit: 'lots' }], 'routes[0].bodyLimit'],
      [[{ path: '/a', to: '/', service: 's', rateLimit: 'nope' }], 'routes[0].rateLimit'],
      [[{ path: '/a', to: '/', service: 's' }, { path: '/a/', to: '/', service: 't' }], 'routes'],
      ['not an array', 'routes'],
    ];
    for (const [routes, option] of cases) {
      assert.throws(
        () => buildRouteTable(routes as never),
        (err: unknown) => err instanceof GatewayConfigError && err.option === option,
        `expected a GatewayConfigError on ${option}`,
      );
    }
  });
});

describe('parseBodyLimit', () => {
  it('reads sizes as msx.yaml writes them', () => {
    assert.equal(parseBodyLimit('1mb'), 1024 * 1024);
    assert.equal(parseBodyLimit('512KB'), 512 * 1024);
    assert.equal(parseBodyLimit(100), 100);
    assert.equal(parseBodyLimit('100'), 100);
    assert.equal(parseBodyLimit('1.5kb'), 1536);
    assert.equal(parseBodyLimit('big'), undefined);
    assert.equal(parseBodyLimit(-1), undefined);
  });
});
