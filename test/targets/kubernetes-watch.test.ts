import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect } from '../../src/targets/kubernetes/kube-connection.js';
import { watchCollection, type WireObject } from '../../src/targets/kubernetes/resource-watch.js';
import { waitForRollouts } from '../../src/targets/kubernetes/rollout-wait.js';
import { KubeApiDouble } from '../support/kube-api-double.js';

const SELECTOR = 'app.kubernetes.io/managed-by=msx,msx.dev/system=shop';
const labels = { 'app.kubernetes.io/managed-by': 'msx', 'msx.dev/system': 'shop', 'msx.dev/service': 'orders' };

async function withDouble(run: (double: KubeApiDouble) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'msx-kwatch-'));
  const double = await KubeApiDouble.start();
  const previous = process.env.KUBECONFIG;
  process.env.KUBECONFIG = double.writeKubeconfig(dir);
  try {
    double.put({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop' } });
    await run(double);
  } finally {
    process.env.KUBECONFIG = previous;
    await double.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function deployment(replicas: number): WireObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'orders', namespace: 'shop', labels },
    spec: { replicas, selector: { matchLabels: labels }, template: { metadata: { labels }, spec: { containers: [{ name: 'orders', image: 'shop/orders:h-1' }] } } },
  };
}

test('a watch dropped mid-stream resumes from the last resourceVersion; a 410 lists again; abort ends it', async () => {
  const abort = new AbortController();
  await withDouble(async (double) => {
    const connection = await connect({});
    const lists: string[] = [];
    let names: string[] = [];
    const watching = watchCollection(connection, { apiVersion: 'v1', kind: 'ConfigMap', plural: 'configmaps', namespace: 'shop' }, (items) => {
      names = [...items.keys()].sort();
    }, abort.signal, { onList: (reason) => lists.push(reason) });
    const until = async (what: string, ok: () => boolean) => {
      for (let i = 0; i < 400 && !ok(); i++) await sleep(25);
      assert.ok(ok(), what);
    };
    await until('first list', () => lists.length === 1);
    double.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'a', namespace: 'shop' }, data: {} });
    await until('an event while watching', () => names.includes('a'));

    double.dropWatches();
    double.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'shop' }, data: {} });
    await until('the change made while the watch was down', () => names.includes('b'));
    assert.deepEqual(lists, ['start'], 'a dropped watch resumes without listing again');
    const watches = double.requests.filter((r) => r.path === '/api/v1/namespaces/shop/configmaps' && r.query.watch === 'true');
    assert.ok(watches.length >= 2 && watches.every((w) => Number(w.query.resourceVersion) > 0), 'every watch starts at a resourceVersion');

    double.compactHistory();
    double.dropWatches();
    double.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: {} });
    await until('a list after 410 Expired', () => lists.includes('expired'));
    await until('the change made before the relist', () => names.includes('c'));

    abort.abort();
    await watching;
    const open = double.requests.length;
    double.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'd', namespace: 'shop' }, data: {} });
    await sleep(200);
    assert.equal(double.requests.length, open, 'nothing is requested after abort');
    assert.ok(!names.includes('d'));
  }).finally(() => abort.abort());
});

test('a rollout wait survives a dropped watch and an expired history', async () => {
  await withDouble(async (double) => {
    double.stepMs = 300;
    const connection = await connect({});
    double.put(deployment(2));
    const waiting = waitForRollouts(connection, 'shop', SELECTOR, [{ kind: 'Deployment', name: 'orders', service: 'orders' }], { timeoutMs: 60_000 });
    await sleep(150);
    double.compactHistory();
    double.dropWatches();
    const outcome = await waiting;
    assert.equal(outcome.status, 'ready');
    const deploymentLists = double.requests.filter((r) => r.path === '/apis/apps/v1/namespaces/shop/deployments' && r.query.watch !== 'true');
    assert.ok(deploymentLists.length >= 2, 'listed again after the 410');
  });
});
