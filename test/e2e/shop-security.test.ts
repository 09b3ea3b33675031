/**
 * The shop's security contract (EXAMPLE-SHOP.md), end to end under msx up -d:
 * every service answers its routes only to the gateway's signed identity or
 * a service token (401 straight to a port otherwise); a user reads only
 * their own record, orders and notifications unless they hold the admin
 * scope; bad input is a 400, never a 500, through the gateway and directly.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gatewayIdentityHeaders, signServiceToken } from '../../runtime/src/auth/index.js';
import { createShop, type ShopService, type ShopSystem } from '../support/shop.js';
import { until } from '../support/local-system.js';

let shop: ShopSystem;

interface Answer<T> {
  status: number;
  type: string;
  body: T;
  headers: Headers;
}

async function send<T = Record<string, unknown>>(url: string, method: string, options: { body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer<T>> {
  const res = await fetch(url, {
    method,
    headers: { ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const text = await res.text();
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, type, body: (text && /json/.test(type) ? JSON.parse(text) : text) as T, headers: res.headers };
}

const api = <T = Record<string, unknown>>(method: string, path: string, token?: string, body?: unknown) =>
  send<T>(`${shop.gatewayUrl}${path}`, method, { body, headers: token ? { authorization: `Bearer ${token}` } : {} });
const direct = <T = Record<string, unknown>>(service: ShopService, method: string, path: string, options: { body?: unknown; headers?: Record<string, string> } = {}) =>
  send<T>(`http://127.0.0.1:${shop.ports[service]}${path}`, method, options);

/** What the gateway sends for a user, signed with this shop's generated secret. */
const asGateway = (sub: string) => gatewayIdentityHeaders({ sub, secret: shop.secrets().GATEWAY_IDENTITY_SECRET });
/** What orders sends when it calls `audience`. */
const asOrders = async (audience: string) => ({ authorization: `Bearer ${await signServiceToken({ issuer: 'orders', audience, secret: shop.secrets().MSX_SERVICE_TOKEN_SECRET })}` });

function assertProblem(answer: Answer<unknown>, status: number, what: string): void {
  assert.equal(answer.status, status, `${what}: ${JSON.stringify(answer.body)}`);
  assert.match(answer.type, /^application\/problem\+json/, `${what} is problem+json`);
}

let ann: { id: string };
let bob: { id: string };
let annToken: string;
let bobToken: string;
let adminToken: string;
let pen: { id: string };
let annOrder: { id: string; status: string };

before(async () => {
  shop = await createShop('msx-shop-security-');
  await shop.run(['up', '-d', '--timeout', '120s']);
  ann = (await api<{ id: string }>('POST', '/api/users', undefined, { email: 'ann@example.com', name: 'Ann' })).body;
  bob = (await api<{ id: string }>('POST', '/api/users', undefined, { email: 'bob@example.com', name: 'Bob' })).body;
  annToken = (await shop.run(['token', '--sub', ann.id])).trim();
  bobToken = (await shop.run(['token', '--sub', bob.id])).trim();
  adminToken = (await shop.run(['token', '--sub', 'operator', '--scope', 'admin'])).trim();
  pen = (await api<{ id: string }>('POST', '/api/products', annToken, { name: 'pen', price: 150, stock: 1000 })).body;
  annOrder = (await api<{ id: string; status: string }>('POST', '/api/orders', annToken, { items: [{ productId: pen.id, quantity: 1 }] })).body;
});

after(async () => {
  await shop?.cleanup();
});

test('the saga still runs through service tokens: orders calls users, products and payments', () => {
  assert.equal(annOrder.status, 'confirmed');
});

test('every shop route straight to its service\'s port without identity or service token is 401', async () => {
  const some = '00000000-0000-4000-8000-000000000000';
  const routes: [ShopService, string, string, unknown?][] = [
    ['users', 'POST', '/users', { email: 'eve@example.com', name: 'Eve' }],
    ['users', 'GET', `/users/${ann.id}`],
    ['products', 'POST', '/products', { name: 'free', price: 0, stock: 5 }],
    ['products', 'GET', `/products/${pen.id}`],
    ['products', 'POST', '/reservations', { orderId: 'o', items: [{ productId: pen.id, quantity: 1 }] }],
    ['products', 'DELETE', `/reservations/${annOrder.id}`],
    ['payments', 'POST', '/charges', { orderId: 'o', userId: 'u', amount: 1 }],
    ['payments', 'POST', '/refunds', { orderId: annOrder.id }],
    ['payments', 'GET', `/charges?orderId=${annOrder.id}`],
    ['orders', 'POST', '/orders', { items: [{ productId: pen.id, quantity: 1 }] }],
    ['orders', 'GET', `/orders/${annOrder.id}`],
    ['notifications', 'GET', `/notifications?userId=${ann.id}`],
    ['users', 'GET', `/users/${some}`],
  ];
  for (const [service, method, path, body] of routes) {
    const answer = await direct(service, method, path, { body });
    assertProblem(answer, 401, `${method} ${service}${path}`);
    assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer/, `${method} ${service}${path} says how to authenticate`);
    // A user's own token is no service token: straight to the port it is refused too.
    const withUserToken = await direct(service, method, path, { body, headers: { authorization: `Bearer ${annToken}` } });
    assertProblem(withUserToken, 401, `${method} ${service}${path} with a user token`);
  }
  // Nothing was created by those calls.
  const stock = await api<{ stock: number; reserved: number }>('GET', `/api/products/${pen.id}`);
  assert.deepEqual({ stock: stock.body.stock, reserved: stock.body.reserved }, { stock: 999, reserved: 0 });
  assert.equal((await api('POST', '/api/users', undefined, { email: 'eve@example.com', name: 'Eve' })).status, 201, 'eve was never signed up directly');
  // The probes stay open for supervisors and Prometheus.
  for (const path of ['/health', '/ready', '/metrics']) assert.equal((await direct('products', 'GET', path)).status, 200, path);
});

test('public routes still answer through the gateway without a token', async () => {
  assert.equal((await api('GET', `/api/products/${pen.id}`)).status, 200);
  assert.equal((await api('POST', '/api/users', undefined, { email: 'cy@example.com', name: 'Cy' })).status, 201);
});

test('another user\'s order is 404, their record and notifications 403; the owner and an admin read them', async () => {
  assertProblem(await api('GET', `/api/orders/${annOrder.id}`, bobToken), 404, 'bob reads ann\'s order');
  assertProblem(await api('GET', `/api/users/${ann.id}`, bobToken), 403, 'bob reads ann\'s record');
  assertProblem(await api('GET', `/api/notifications?userId=${ann.id}`, bobToken), 403, 'bob reads ann\'s notifications');

  assert.equal((await api('GET', `/api/orders/${annOrder.id}`, annToken)).status, 200);
  assert.equal((await api<{ email: string }>('GET', `/api/users/${ann.id}`, annToken)).body.email, 'ann@example.com');
  const notes = await until('ann\'s notifications', async () => {
    const answer = await api<{ kind: string }[]>('GET', `/api/notifications?userId=${ann.id}`, annToken);
    return answer.status === 200 && answer.body.some((n) => n.kind === 'order-confirmed') ? answer.body : undefined;
  });
  assert.ok(notes.every((n) => (n as unknown as { userId: string }).userId === ann.id));

  assert.equal((await api('GET', `/api/orders/${annOrder.id}`, adminToken)).status, 200);
  assert.equal((await api('GET', `/api/users/${ann.id}`, adminToken)).status, 200);
  assert.equal((await api('GET', `/api/notifications?userId=${ann.id}`, adminToken)).status, 200);
});

test('an order is placed as the token\'s subject, whatever the body says', async () => {
  const placed = await api<{ id: string }>('POST', '/api/orders', bobToken, { userId: ann.id, items: [{ productId: pen.id, quantity: 1 }] });
  assert.equal(placed.status, 201);
  const read = await api<{ userId: string }>('GET', `/api/orders/${placed.body.id}`, bobToken);
  assert.equal(read.body.userId, bob.id);
});

test('a NUL character in a text field or a query parameter is a 400 problem, through the gateway and directly', async () => {
  assertProblem(await api('POST', '/api/users', undefined, { email: 'nul@example.com', name: 'a\u0000b' }), 400, 'NUL in a user name');
  assertProblem(await api('POST', '/api/products', annToken, { name: 'a\u0000b', price: 1, stock: 1 }), 400, 'NUL in a product name');
  assertProblem(await api('GET', `/api/notifications?userId=a%00b`, adminToken), 400, 'NUL in a query parameter');
  assertProblem(await direct('users', 'POST', '/users', { body: { email: 'nul@example.com', name: 'a\u0000b' }, headers: asGateway(ann.id) }), 400, 'NUL directly to users');
  assertProblem(await direct('products', 'POST', '/products', { body: { name: '\u0000', price: 1, stock: 1 }, headers: asGateway(ann.id) }), 400, 'NUL directly to products');
  assertProblem(await direct('payments', 'POST', '/charges', { body: { orderId: 'o\u0000', userId: 'u', amount: 1 }, headers: { ...(await asOrders('payments')), 'idempotency-key': 'nul-1' } }), 400, 'NUL directly to payments');
  assertProblem(await direct('payments', 'GET', '/charges?orderId=%00', { headers: await asOrders('payments') }), 400, 'NUL in a payments query');
  assertProblem(await direct('products', 'DELETE', '/reservations/o%00', { headers: await asOrders('products') }), 400, 'NUL in a path parameter');
  assertProblem(await direct('notifications', 'GET', '/notifications?userId=%00', { headers: asGateway('\u0000') }), 400, 'NUL directly to notifications');
  const order = await api('GET', '/api/orders/a%00b', annToken);
  assert.ok(order.status === 400 || order.status === 404, `an order id with NUL is refused, not a 500 (${order.status})`);
});

test('integers beyond the column are 400 problems, through the gateway and directly', async () => {
  for (const body of [{ name: 'x', price: 2_147_483_648, stock: 1 }, { name: 'x', price: 1, stock: 2_147_483_648 }, { name: 'x', price: 1e300, stock: 1 }]) {
    assertProblem(await api('POST', '/api/products', annToken, body), 400, `product ${JSON.stringify(body)}`);
    assertProblem(await direct('products', 'POST', '/products', { body, headers: asGateway(ann.id) }), 400, `product ${JSON.stringify(body)} directly`);
  }
  assertProblem(
    await direct('payments', 'POST', '/charges', { body: { orderId: 'o-big', userId: 'u', amount: 2_147_483_648 }, headers: { ...(await asOrders('payments')), 'idempotency-key': 'big-1' } }),
    400,
    'a charge beyond the amount column',
  );
});

test('an order total above 2³¹ cents is a 400, cancelled and compensated, with no 500 on the way', async () => {
  const gold = (await api<{ id: string }>('POST', '/api/products', annToken, { name: 'gold', price: 2_147_483_647, stock: 10 })).body;
  const placed = await api<{ id: string; status: string; reason: string }>('POST', '/api/orders', annToken, { items: [{ productId: gold.id, quantity: 2 }] });
  assert.equal(placed.status, 400, JSON.stringify(placed.body));
  assert.equal(placed.body.status, 'cancelled');
  assert.match(placed.body.reason, /total/);
  const levels = await api<{ stock: number; reserved: number }>('GET', `/api/products/${gold.id}`);
  assert.deepEqual({ stock: levels.body.stock, reserved: levels.body.reserved }, { stock: 10, reserved: 0 });
  const charges = await direct<unknown[]>('payments', 'GET', `/charges?orderId=${placed.body.id}`, { headers: await asOrders('payments') });
  assert.deepEqual(charges.body, [], 'payments was never asked for an amount it cannot hold');
});

test('100 lines of one product in one order are merged into one line, not a 500', async () => {
  const items = Array.from({ length: 100 }, () => ({ productId: pen.id, quantity: 1 }));
  const placed = await api<{ id: string; status: string; total: number }>('POST', '/api/orders', annToken, { items });
  assert.equal(placed.status, 201, JSON.stringify(placed.body));
  assert.equal(placed.body.total, 100 * 150);
  const read = await api<{ items: { productId: string; quantity: number }[] }>('GET', `/api/orders/${placed.body.id}`, annToken);
  assert.deepEqual(read.body.items, [{ productId: pen.id, quantity: 100 }]);
});
