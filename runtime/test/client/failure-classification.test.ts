import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BulkheadFullError, CircuitOpenError, ConnectionError, HttpStatusError, NoInstanceError, TimeoutError } from '../../src/client/index.js';
import { classifyUpstreamError, UpstreamError } from '../../src/gateway/upstream-error.js';
import { classifyFailure, FAILURE_RULES, isRetryableFailure, isRetryableForAnyMethod, isRetryableStepFailure, isServiceFailure, RESILIENCE_DEFAULTS } from '../../src/resilience/index.js';
import { StepRejectedError } from '../../src/saga/index.js';

const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
// What undici throws when an address takes no connection at all (a container removed with its IP).
const connectTimeout = Object.assign(new Error('Connect Timeout Error'), { code: 'UND_ERR_CONNECT_TIMEOUT' });

/** One row per way a call fails, as the client, the gateway and a saga step each meet it: its kind, then what each does with it. */
const TABLE: Array<[string, unknown, string, { breaker: boolean; retry: string; stepRetry: boolean; instance: string }]> = [
  ['client: connection refused', new ConnectionError('users', { cause: refused }), 'unreachable', { breaker: true, retry: 'any-method', stepRetry: true, instance: 'unreachable' }],
  ['undici: connect timed out', connectTimeout, 'unreachable', { breaker: true, retry: 'any-method', stepRetry: true, instance: 'unreachable' }],
  ['gateway: connect timed out', classifyUpstreamError(connectTimeout, 'users', false), 'unreachable', { breaker: true, retry: 'any-method', stepRetry: true, instance: 'unreachable' }],
  ['client: connection reset', new ConnectionError('users', { cause: reset }), 'connection-lost', { breaker: true, retry: 'idempotent', stepRetry: true, instance: 'failure' }],
  ['client: attempt timed out', new TimeoutError('users', 100), 'timeout', { breaker: true, retry: 'idempotent', stepRetry: true, instance: 'failure' }],
  ['client: 503 answer', new HttpStatusError('users', 503, undefined, {}), 'unavailable', { breaker: true, retry: 'idempotent', stepRetry: true, instance: 'failure' }],
  ['client: 500 answer', new HttpStatusError('users', 500, undefined, {}), 'server-error', { breaker: false, retry: 'never', stepRetry: true, instance: 'failure' }],
  ['client: 429 answer', new HttpStatusError('users', 429, undefined, {}), 'throttled', { breaker: false, retry: 'idempotent', stepRetry: true, instance: 'success' }],
  ['client: 409 answer', new HttpStatusError('users', 409, undefined, {}), 'rejected', { breaker: false, retry: 'never', stepRetry: false, instance: 'success' }],
  ['client: own circuit open', new CircuitOpenError('users'), 'not-sent', { breaker: false, retry: 'never', stepRetry: true, instance: 'no-verdict' }],
  ['client: own bulkhead full', new BulkheadFullError('users'), 'not-sent', { breaker: false, retry: 'never', stepRetry: true, instance: 'no-verdict' }],
  ['client: no instance', new NoInstanceError('users', 'static'), 'not-sent', { breaker: false, retry: 'never', stepRetry: true, instance: 'no-verdict' }],
  ['caller aborted', new DOMException('aborted', 'AbortError'), 'caller', { breaker: false, retry: 'never', stepRetry: false, instance: 'no-verdict' }],
  ['gateway: refused', new UpstreamError('unavailable', 'users', 'refused'), 'unreachable', { breaker: true, retry: 'any-method', stepRetry: true, instance: 'unreachable' }],
  ['gateway: upstream timeout', new UpstreamError('timeout', 'users', 'slow'), 'timeout', { breaker: true, retry: 'idempotent', stepRetry: true, instance: 'failure' }],
  ['gateway: reset before an answer', new UpstreamError('failed', 'users', 'reset'), 'connection-lost', { breaker: true, retry: 'idempotent', stepRetry: true, instance: 'failure' }],
  ['gateway: a request it cannot send', new UpstreamError('bad-request', 'users', 'bad'), 'caller', { breaker: false, retry: 'never', stepRetry: false, instance: 'no-verdict' }],
  ['gateway: shutting down', new UpstreamError('closing', 'users', 'closing'), 'caller', { breaker: false, retry: 'never', stepRetry: false, instance: 'no-verdict' }],
  ['undici: refused the Expect header', Object.assign(new Error('expect header not supported'), { code: 'UND_ERR_NOT_SUPPORTED' }), 'caller', { breaker: false, retry: 'never', stepRetry: false, instance: 'no-verdict' }],
  ['saga: business no', new StepRejectedError('declined', { status: 402 }), 'rejected', { breaker: false, retry: 'never', stepRetry: false, instance: 'success' }],
  ['saga: a step’s own error', new Error('boom'), 'unknown', { breaker: false, retry: 'never', stepRetry: true, instance: 'no-verdict' }],
];

describe('one failure classification for the client, the gateway and saga steps', () => {
  for (const [what, error, kind, rule] of TABLE) {
    it(`${what} → ${kind}`, () => {
      assert.equal(classifyFailure(error), kind);
      assert.deepEqual(FAILURE_RULES[classifyFailure(error)], rule);
      assert.equal(isServiceFailure(error), rule.breaker);
      assert.equal(isRetryableFailure(error), rule.retry !== 'never');
      assert.equal(isRetryableForAnyMethod(error), rule.retry === 'any-method');
      assert.equal(isRetryableStepFailure(error), rule.stepRetry);
    });
  }

  it('a connect that timed out is answered 503 and may go to another instance whatever the method, as a refusal', () => {
    const error = classifyUpstreamError(connectTimeout, 'users', false);
    assert.equal(error.kind, 'unavailable');
    assert.equal(error.status, 503);
    assert.equal(error.neverReached, true);
  });

  it('the gateway’s errors carry the rule of their kind', () => {
    for (const kind of ['timeout', 'unavailable', 'circuit-open', 'no-instance', 'failed', 'closing', 'bad-request'] as const) {
      const error = new UpstreamError(kind, 'users', kind);
      assert.equal(error.tripsBreaker, FAILURE_RULES[error.failureKind].breaker, kind);
      assert.equal(error.instanceOutcome, FAILURE_RULES[error.failureKind].instance, kind);
    }
  });

  it('one table of defaults: the client’s breaker and the gateway’s open and half-open alike', () => {
    assert.deepEqual(RESILIENCE_DEFAULTS.breaker, { consecutiveFailures: 5, halfOpenAfterMs: 5_000 });
  });
});
