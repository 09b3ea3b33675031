import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Request } from 'express';
import { requireOwnerOrScope, requireUser, type Caller } from '../../src/auth/index.js';
import { isHttpProblem } from '../../src/index.js';

const exp = Math.floor(Date.now() / 1000) + 60;
const as = (caller: Caller | undefined) => ({ caller }) as unknown as Request;
const user = (sub: string, scopes: string[] = []): Caller => ({ kind: 'user', identity: { sub, scopes, exp, claims: { sub } } });
const service: Caller = { kind: 'service', service: { service: 'orders', audience: 'users', exp, claims: {} } };

function statusOf(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (error) {
    assert.ok(isHttpProblem(error), 'refusals are problems the kit answers with problem+json');
    return error.status;
  }
  return undefined;
}

test('the owner, a holder of the scope and another service pass', () => {
  assert.equal(statusOf(() => requireOwnerOrScope(as(user('ann')), 'ann')), undefined);
  assert.equal(statusOf(() => requireOwnerOrScope(as(user('root', ['admin'])), 'ann')), undefined);
  assert.equal(statusOf(() => requireOwnerOrScope(as(user('ops', ['support'])), 'ann', { scope: 'support' })), undefined);
  assert.equal(statusOf(() => requireOwnerOrScope(as(service), 'ann')), undefined);
});

test('another user gets 403, or 404 where even existence is private', () => {
  assert.equal(statusOf(() => requireOwnerOrScope(as(user('bob')), 'ann')), 403);
  assert.equal(statusOf(() => requireOwnerOrScope(as(user('bob', ['support'])), 'ann')), 403, 'another scope is no admin');
  assert.equal(statusOf(() => requireOwnerOrScope(as(user('bob')), 'ann', { otherwise: 404 })), 404);
});

test('without a user behind the request it is 401; services can be excluded', () => {
  assert.equal(statusOf(() => requireOwnerOrScope(as({ kind: 'gateway' }), 'ann')), 401);
  assert.equal(statusOf(() => requireOwnerOrScope(as({ kind: 'unverified' }), 'ann')), 401);
  assert.equal(statusOf(() => requireOwnerOrScope(as(undefined), 'ann')), 401);
  assert.equal(statusOf(() => requireOwnerOrScope(as(service), 'ann', { services: false })), 401);
});

test('requireUser returns the verified user, and refuses anything else', () => {
  assert.equal(requireUser(as(user('ann'))).sub, 'ann');
  for (const caller of [{ kind: 'gateway' } as const, service, { kind: 'unverified' } as const]) assert.equal(statusOf(() => requireUser(as(caller))), 401);
});
