import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defineContract, openApiDocument, problem, PROBLEM_SCHEMA_REF, z } from '../../src/contract/index.js';

// What a contract's OpenAPI document says about invalid input: every operation
// that takes input may answer 400 problem+json, also when it declares a 400 of
// its own (orders answers a cancelled order with the refusal's status).

const Order = z.object({ id: z.string(), status: z.string() });

const contract = defineContract('orders', {
  placeOrder: {
    method: 'post',
    path: '/orders',
    body: z.object({ items: z.array(z.string()).min(1) }),
    responses: { 201: Order, 400: Order.describe('cancelled: the order cannot be reserved as it is') },
  },
  getOrder: { method: 'get', path: '/orders/:id', params: z.object({ id: z.string() }), responses: { 200: Order, 404: problem('no such order') } },
  health: { method: 'get', path: '/ping', responses: { 200: z.object({ ok: z.boolean() }) } },
});

const paths = openApiDocument(contract).paths;

test('an operation that takes input documents the 400 problem of invalid input', () => {
  const invalid = paths['/orders/{id}']!.get!.responses['400'];
  assert.deepEqual(invalid?.content, { 'application/problem+json': { schema: { $ref: PROBLEM_SCHEMA_REF } } });
  assert.equal(paths['/ping']!.get!.responses['400'], undefined, 'no input, no 400');
});

test('a declared 400 with a body keeps its body and documents the invalid-input problem beside it', () => {
  const placed = paths['/orders']!.post!.responses['400']!;
  assert.ok(placed.content?.['application/json'], 'the declared body');
  assert.deepEqual(placed.content?.['application/problem+json'], { schema: { $ref: PROBLEM_SCHEMA_REF } });
  assert.match(placed.description, /^cancelled: the order cannot be reserved as it is; or, as problem\+json, /);
});
