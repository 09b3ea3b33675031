import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { deployedKubeSystem, type KubeSystem } from '../support/kube-system.js';
import { MSX_BIN } from '../support/msx.js';

const SERVICES = {
  users: '{ kind: http, port: 3001 }',
  orders: '{ kind: http, port: 3002, replicas: 2, database: true }',
};

const deployed = (services: Record<string, string> = SERVICES): Promise<KubeSystem> => deployedKubeSystem(services);

const podsOf = (system: KubeSystem, service: string) => system.double.list('Pod', 'shop').filter((p) => p.metadata.labels['msx.dev/service'] === service);

test('after msx deploy, msx ps lists the pods: ready, restarts, age, node, CPU and memory from the metrics API', async () => {
  const system = await deployed();
  try {
    const table = await system.run(['ps']);
    assert.equal(table.exitCode, 0, table.stderr);
    assert.match(table.stdout, /service\s+instance\s+node\s+ip\s+state\s+ready\s+restarts\s+uptime\s+cpu\s+mem/);
    assert.match(table.stdout, /orders\s+orders-[a-z0-9]+-[a-z0-9]+\s+node-\d\s+10\.0\.0\.\d+:3000\s+ready\s+yes\s+0\s+\d+s\s+\d+\.\d%\s+\d+ MB/);
    const json = JSON.parse((await system.run(['ps', '--json'])).stdout) as { service: string; ready: boolean; details: { node?: string }; cpuPercent: number }[];
    assert.deepEqual(json.filter((i) => i.service === 'orders').length, 2);
    assert.ok(json.every((i) => i.ready && i.details.node && i.cpuPercent > 0));
    // The database runs too, as a StatefulSet.
    assert.ok(json.some((i) => i.service === 'orders-db' || /postgres|db/.test(i.service)), JSON.stringify(json.map((i) => i.service)));

    system.double.metricsServer = false;
    const noMetrics = await system.run(['ps', '--json']);
    assert.ok((JSON.parse(noMetrics.stdout) as { cpuPercent?: number }[]).every((i) => i.cpuPercent === undefined), 'no metrics server: no CPU figures, and no failure');
  } finally {
    await system.cleanup();
  }
});

test('msx scale orders=3 uses the scale subresource, and the next deploy sets msx.yaml\'s replicas again', async () => {
  const system = await deployed();
  try {
    const result = await system.run(['scale', 'orders=3']);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /orders 2 → 3 \(adding 1 pod/);
    const patch = system.double.requests.find((r) => r.method === 'PATCH' && r.path === '/apis/apps/v1/namespaces/shop/deployments/orders/scale');
    assert.ok(patch, 'PATCH on the scale subresource');
    assert.deepEqual(patch.body, { spec: { replicas: 3 } });
    assert.equal(system.double.get('Deployment', 'shop', 'orders')!.spec.replicas, 3);

    const redeploy = await system.run(['deploy']);
    assert.equal(redeploy.exitCode, 0, redeploy.stderr);
    assert.equal(system.double.get('Deployment', 'shop', 'orders')!.spec.replicas, 2);
    assert.equal(podsOf(system, 'orders').length, 2);
  } finally {
    await system.cleanup();
  }
});

test('with an autoscaler, msx scale moves its minimum and says so', async () => {
  const system = await deployed({ orders: '{ kind: http, port: 3002, autoscaling: { min: 2, max: 4, cpu: 70 } }' });
  try {
    assert.equal(system.double.get('Deployment', 'shop', 'orders')!.spec.replicas, undefined, 'no replicas in a Deployment an HPA scales');
    const result = await system.run(['scale', 'orders=6']);
    assert.equal(result.exitCode, 0, result.stderr);
    assert.match(result.stdout, /orders has an autoscaler: moved its minimum from 2 to 6 \(and its maximum from 4 to 6\)/);
    const hpa = system.double.get('HorizontalPodAutoscaler', 'shop', 'orders')!;
    assert.equal(hpa.spec.minReplicas, 6);
    assert.equal(hpa.spec.maxReplicas, 6);
    assert.ok(!system.double.requests.some((r) => r.path.endsWith('/scale') && r.method !== 'GET'), 'the Deployment is left to the autoscaler');
  } finally {
    await system.cleanup();
  }
});

test('msx down deletes the system\'s objects by label and keeps the PersistentVolumeClaims without --volumes', async () => {
  const system = await deployed();
  try {
    const claims = system.double.list('PersistentVolumeClaim', 'shop');
    assert.ok(claims.length >= 1, 'the database StatefulSet made a claim');
    system.double.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'someone-elses', namespace: 'shop' }, data: {} });
    const down = await system.run(['down']);
    assert.equal(down.exitCode, 0, down.stderr);
    const lists = system.double.requests.filter((r) => r.method === 'GET' && !r.query.watch && r.query.labelSelector);
    assert.ok(lists.every((r) => r.query.labelSelector === 'app.kubernetes.io/managed-by=msx,msx.dev/system=shop'), 'everything deleted was selected by the system\'s labels');
    for (const kind of ['Deployment', 'StatefulSet', 'Service', 'ConfigMap', 'Secret', 'NetworkPolicy']) {
      assert.deepEqual(system.double.list(kind, 'shop').filter((o) => o.metadata.labels?.['app.kubernetes.io/managed-by'] === 'msx').map((o) => o.metadata.name), [], kind);
    }
    assert.equal(system.double.list('Pod', 'shop').length, 0);
    assert.equal(system.double.list('PersistentVolumeClaim', 'shop').length, claims.length, 'claims kept');
    assert.ok(system.double.get('Namespace', undefined, 'shop'), 'the namespace (and the claims in it) stays');
    assert.ok(system.double.get('ConfigMap', 'shop', 'someone-elses'));

    const nothing = await system.run(['ps']);
    assert.match(nothing.stdout + nothing.stderr, /nothing is running/);

    assert.equal((await system.run(['deploy'])).exitCode, 0);
    const withVolumes = await system.run(['down', '--volumes']);
    assert.equal(withVolumes.exitCode, 0, withVolumes.stderr);
    assert.equal(system.double.list('PersistentVolumeClaim', 'shop').length, 0);
  } finally {
    await system.cleanup();
  }
});

test('msx logs -f follows every pod, keeps following across a pod replacement, a dropped watch and a 410', async () => {
  const system = await deployed({ orders: '{ kind: http, port: 3002, replicas: 2 }' });
  const child = execa(process.execPath, [MSX_BIN, 'logs', '-f', 'orders'], { cwd: system.dir, env: system.env, reject: false, stdin: 'ignore' });
  let out = '';
  const seen = (pattern: RegExp, what: string) => new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; output so far:\n${out}`)), 60_000);
    const check = () => {
      if (pattern.test(out)) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      check();
    };
    child.stdout!.on('data', onData);
    check();
  });
  try {
    const [first, second] = podsOf(system, 'orders').map((p) => p.metadata.name as string);
    await seen(new RegExp(`orders/${first}.*listening on :3000`), 'the first pod\'s log');
    await seen(new RegExp(`orders/${second}.*listening on :3000`), 'the second pod\'s log');
    system.double.log(first!, JSON.stringify({ level: 40, time: Date.now(), msg: 'slow query', ms: 1200 }));
    await seen(/WARN\s+slow query ms=1200/, 'a line appended while following');

    const replacement = await system.double.replacePod(first!);
    await seen(new RegExp(`orders/${replacement}.*listening on :3000`), 'the replacement pod, attached as it appeared');

    system.double.dropWatches();
    const afterDrop = await system.double.replacePod(second!);
    await seen(new RegExp(`orders/${afterDrop}.*listening on :3000`), 'a pod that appeared after the watch was dropped');

    system.double.compactHistory();
    system.double.dropWatches();
    const after410 = await system.double.replacePod(replacement);
    await seen(new RegExp(`orders/${after410}.*listening on :3000`), 'a pod that appeared after the watch history expired (410)');
    const watches = system.double.requests.filter((r) => r.path === '/api/v1/namespaces/shop/pods' && r.query.watch === 'true');
    assert.ok(watches.length >= 3, `the watch was reopened (${watches.length} watches)`);
    assert.ok(watches.slice(1).every((w) => w.query.resourceVersion), 'each reconnect resumes from a resourceVersion');
    system.double.log(afterDrop, JSON.stringify({ level: 30, time: Date.now(), msg: 'still here' }));
    await seen(/still here/, 'lines of every attached pod');
  } finally {
    child.kill('SIGINT');
    const ended = await child;
    await system.cleanup();
    assert.ok(ended.exitCode === 0 || ended.signal === 'SIGINT', `logs -f ends on Ctrl-C (exit ${ended.exitCode}, ${ended.signal}): ${ended.stderr}`);
  }
});

test('msx logs without -f prints what the pods have, filtered by level and text', async () => {
  const system = await deployed({ orders: '{ kind: http, port: 3002 }' });
  try {
    const [pod] = podsOf(system, 'orders').map((p) => p.metadata.name as string);
    system.double.log(pod!, JSON.stringify({ level: 50, time: Date.now(), msg: 'payment failed', traceId: 'abc123' }));
    system.double.log(pod!, 'a plain line that is not JSON');
    const errors = await system.run(['logs', '--level', 'error']);
    assert.equal(errors.exitCode, 0, errors.stderr);
    assert.match(errors.stdout, new RegExp(`orders/${pod}.*ERROR\\s+payment failed`));
    assert.doesNotMatch(errors.stdout, /listening/);
    const grep = await system.run(['logs', '--grep', 'plain line']);
    assert.match(grep.stdout, /a plain line that is not JSON/);
    const trace = await system.run(['logs', '--trace', 'abc123', '--json']);
    assert.equal(trace.stdout.trim().split('\n').length, 1);
  } finally {
    await system.cleanup();
  }
});
