import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CircuitBreaker } from '../../src/gateway/circuit-breaker.js';

function breakerWithClock(consecutiveFailures = 3, halfOpenAfterMs = 1_000) {
  const clock = { now: 10_000 };
  const breaker = new CircuitBreaker({ consecutiveFailures, halfOpenAfterMs, now: () => clock.now });
  return { breaker, clock };
}

describe('gateway circuit breaker', () => {
  it('opens after consecutive failures only; a success in between starts the count again', () => {
    const { breaker } = breakerWithClock(3);
    breaker.failure(breaker.admit());
    breaker.failure(breaker.admit());
    breaker.success(breaker.admit());
    breaker.failure(breaker.admit());
    breaker.failure(breaker.admit());
    assert.equal(breaker.state, 'closed');
    breaker.failure(breaker.admit());
    assert.equal(breaker.state, 'open');
    assert.equal(breaker.admit(), 'refused');
  });

  it('lets exactly one trial through after the open period; its success closes the circuit', () => {
    const { breaker, clock } = breakerWithClock(1, 1_000);
    breaker.failure(breaker.admit());
    clock.now += 999;
    assert.equal(breaker.admit(), 'refused');
    clock.now += 1;
    assert.equal(breaker.state, 'half-open');
    const trial = breaker.admit();
    assert.equal(trial, 'trial');
    // Others are still refused while the trial is in flight.
    assert.equal(breaker.admit(), 'refused');
    breaker.success(trial);
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.admit(), 'admitted');
  });

  it('a failed trial opens the circuit for another full period', () => {
    const { breaker, clock } = breakerWithClock(1, 1_000);
    breaker.failure(breaker.admit());
    clock.now += 1_000;
    const trial = breaker.admit();
    breaker.failure(trial);
    assert.equal(breaker.state, 'open');
    clock.now += 999;
    assert.equal(breaker.admit(), 'refused');
    clock.now += 1;
    assert.equal(breaker.admit(), 'trial');
  });

  it('a trial that ends without a verdict (client left) frees the slot for the next caller', () => {
    const { breaker, clock } = breakerWithClock(1, 1_000);
    breaker.failure(breaker.admit());
    clock.now += 1_000;
    breaker.release(breaker.admit());
    assert.equal(breaker.admit(), 'trial');
  });

  it('late outcomes of requests admitted before the circuit opened do not move it', () => {
    const { breaker } = breakerWithClock(2);
    const early = breaker.admit();
    const late = breaker.admit();
    breaker.failure(breaker.admit());
    breaker.failure(breaker.admit());
    assert.equal(breaker.state, 'open');
    breaker.success(early);
    assert.equal(breaker.state, 'open');
    breaker.failure(late);
    assert.equal(breaker.state, 'open');
  });

  it('refuses nonsense settings', () => {
    assert.throws(() => new CircuitBreaker({ consecutiveFailures: 0, halfOpenAfterMs: 1 }), TypeError);
    assert.throws(() => new CircuitBreaker({ consecutiveFailures: 1, halfOpenAfterMs: -1 }), TypeError);
  });
});

describe('gateway breaker settings', () => {
  it('are checked when the gateway is created, not on the first request', async () => {
    const { createGateway, GatewayConfigError } = await import('../../src/gateway/index.js');
    const { createStaticDiscovery } = await import('../../src/discovery/static.js');
    for (const breaker of [{ consecutiveFailures: 0 }, { consecutiveFailures: 2.5 }, { halfOpenAfterMs: -1 }]) {
      assert.throws(
        () => createGateway({ routes: [{ path: '/a', to: '/', service: 'a', public: true }], discovery: createStaticDiscovery({ services: { a: ['http://127.0.0.1:1'] } }), breaker }),
        (err: unknown) => err instanceof GatewayConfigError && err.option === 'breaker',
        JSON.stringify(breaker),
      );
    }
  });
});
