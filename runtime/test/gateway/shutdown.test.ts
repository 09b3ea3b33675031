import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startGatewayProcess, type Child } from './fixtures/child-processes.js';
import { startUpstream, type Upstream } from './fixtures/harness.js';

describe('gateway graceful shutdown', () => {
  let upstream: Upstream;
  let gateway: Child & { url: string };
  let arrived!: () => void;
  const requestArrived = new Promise<void>((resolve) => (arrived = resolve));
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));

  before(async () => {
    upstream = await startUpstream((req, res) => {
      arrived();
      void released.then(() => res.end('finished'));
    });
    gateway = await startGatewayProcess({ upstream: upstream.url });
  });

  after(async () => {
    release();
    await gateway?.stop();
    await upstream?.close();
  });

  it('on SIGTERM stops accepting, finishes the in-flight request, and exits 0', async () => {
    const inFlight = fetch(`${gateway.url}/api/slow`);
    await requestArrived;
    gateway.process.kill('SIGTERM');
    // Wait until the listener is gone: new connections are refused while the old request is still open.
    let refused = false;
    for (let i = 0; i < 100 && !refused; i++) {
      try {
        await fetch(`${gateway.url}/health`, { headers: { connection: 'close' } });
        await new Promise((r) => setTimeout(r, 20));
      } catch {
        refused = true;
      }
    }
    assert.ok(refused, 'new connections are refused after SIGTERM');
    release();
    const res = await inFlight;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'finished');
    assert.equal(await gateway.exited, 0);
  });
});
