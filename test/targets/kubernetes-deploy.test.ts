import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { kubeSystem } from '../support/kube-system.js';

const SERVICES = {
  users: '{ kind: http, port: 3001 }',
  orders: '{ kind: http, port: 3002, replicas: 2, calls: [users] }',
};

const KIND_RANK = ['Namespace', 'ServiceAccount', 'Role', 'RoleBinding', 'Secret', 'ConfigMap', 'StatefulSet', 'Service', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'NetworkPolicy', 'Ingress'];

test('msx deploy applies every object server-side as field manager msx, in dependency order, and waits for the rollouts', async () => {
  const system = await kubeSystem(SERVICES);
  try {
    const result = await system.run(['deploy']);
    assert.equal(result.exitCode, 0, result.stderr);
    const applies = system.double.requests.filter((r) => r.method === 'PATCH');
    assert.ok(applies.length >= 7, `expected the namespace, secret, 2 configmaps, 2 services, 2 deployments; got ${applies.length}`);
    for (const apply of applies) {
      assert.equal(apply.contentType, 'application/apply-patch+yaml');
      assert.equal(apply.query.fieldManager, 'msx');
    }
    const kinds = applies.map((r) => (r.body as { kind: string }).kind);
    const ranks = kinds.map((k) => KIND_RANK.indexOf(k));
    assert.ok(!ranks.includes(-1), `unexpected kind in ${kinds.join(', ')}`);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), `apply order: ${kinds.join(', ')}`);
    // The Secret comes from .env, base64 in data (stringData does not work with server-side apply).
    const secret = system.double.list('Secret', 'shop')[0]!;
    assert.equal(Buffer.from(secret.data.JWT_SECRET, 'base64').toString(), 'test-secret-value');
    assert.equal(secret.stringData, undefined);
    // Each Deployment is owned by msx, and every pod is ready at the end.
    const orders = system.double.get('Deployment', 'shop', 'orders')!;
    assert.equal(orders.status.availableReplicas, 2);
    assert.match(result.stdout, /orders\s+ready 2\/2/);
    assert.match(result.stdout, /every rollout is ready/);
    assert.match(result.stdout, /service\s+instance\s+state\s+health\s+restarts\s+url/);
    assert.equal(system.double.list('Pod', 'shop').filter((p) => p.metadata.labels['msx.dev/service'] === 'orders').length, 2);
  } finally {
    await system.cleanup();
  }
});

test('a second deploy of the same system changes nothing; a service removed from msx.yaml is pruned, and nothing msx did not make', async () => {
  const system = await kubeSystem(SERVICES);
  try {
    assert.equal((await system.run(['deploy'])).exitCode, 0);
    // Something another tool made in the same namespace, with the system's label but not managed by msx.
    system.double.put({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'theirs', namespace: 'shop', labels: { 'msx.dev/system': 'shop' } }, data: { a: 'b' } });
    const versions = () => new Map([...['Namespace', 'Secret', 'ConfigMap', 'Service', 'Deployment']].flatMap((kind) => system.double.list(kind).map((o) => [`${kind}/${o.metadata.name}`, o.metadata.resourceVersion] as const)));
    const before = versions();

    const again = await system.run(['deploy', '--json']);
    assert.equal(again.exitCode, 0, again.stderr);
    const report = JSON.parse(again.stdout) as { applied: { action: string }[]; pruned: unknown[] };
    assert.deepEqual(new Set(report.applied.map((a) => a.action)), new Set(['unchanged']));
    assert.deepEqual(report.pruned, []);
    assert.deepEqual(versions(), before, 'no object got a new resourceVersion');

    system.writeManifest({ orders: '{ kind: http, port: 3002, replicas: 2 }' });
    const pruned = await system.run(['deploy']);
    assert.equal(pruned.exitCode, 0, pruned.stderr);
    assert.match(pruned.stdout, /pruned\s+Deployment shop\/users/);
    assert.equal(system.double.get('Deployment', 'shop', 'users'), undefined);
    assert.equal(system.double.get('Service', 'shop', 'users'), undefined);
    assert.equal(system.double.get('ConfigMap', 'shop', 'users'), undefined);
    assert.ok(system.double.get('ConfigMap', 'shop', 'theirs'), 'an object without managed-by=msx is never pruned');
    assert.ok(system.double.get('Deployment', 'shop', 'orders'));
    assert.equal(system.double.list('Pod', 'shop').filter((p) => p.metadata.labels['msx.dev/service'] === 'users').length, 0);
    const deletes = system.double.requests.filter((r) => r.method === 'DELETE');
    assert.ok(deletes.every((d) => !d.path.includes('theirs')));
  } finally {
    await system.cleanup();
  }
});

test('a CrashLoopBackOff fails the deploy at once with the pod\'s events and last log lines', async () => {
  const system = await kubeSystem(SERVICES);
  try {
    system.double.script('orders', 'crash-loop');
    const result = await system.run(['deploy', '--timeout', '2m']);
    assert.equal(result.exitCode, 1, result.stdout + result.stderr);
    assert.match(result.stderr, /orders failed to roll out \(pod orders-[a-z0-9]+-[a-z0-9]+\): CrashLoopBackOff/);
    assert.match(result.stderr, /last exit code 1, 3 restarts/);
    assert.match(result.stderr, /Warning BackOff: Back-off restarting failed container orders/);
    assert.match(result.stderr, /last log lines of orders-/);
    assert.match(result.stderr, /cannot connect to postgres:\/\/orders-db:5432: ECONNREFUSED/);
    assert.match(result.stderr, /hint\s+the container keeps exiting/);
  } finally {
    await system.cleanup();
  }
});

test('an image that cannot be pulled, a missing secret key, a quota refusing the pods and a progress deadline fail with their reason', async () => {
  const system = await kubeSystem({ orders: '{ kind: http, port: 3002 }' });
  try {
    system.double.script('orders', 'image-pull');
    const pull = await system.run(['deploy']);
    assert.equal(pull.exitCode, 1);
    // ErrImagePull when the kubelet's event is seen before the pod's status, ImagePullBackOff after.
    assert.match(pull.stderr, /orders failed to roll out \(pod orders-[a-z0-9]+-[a-z0-9]+\): (ImagePullBackOff|ErrImagePull)/);
    assert.match(pull.stderr, /hint\s+the cluster cannot pull the image/);
    assert.match(pull.stderr, /Warning Failed: Failed to pull image "shop\/orders:h-[0-9a-f]{12}"/);

    system.double.script('orders', 'config-error');
    writeFileSync(join(system.dir, 'services', 'orders', 'src', 'index.ts'), 'export const changed = true;\n');
    const config = await system.run(['deploy']);
    assert.equal(config.exitCode, 1);
    assert.match(config.stderr, /CreateContainerConfigError/);
    assert.match(config.stderr, /couldn't find key JWT_SECRET/);

    system.double.script('orders', 'quota');
    writeFileSync(join(system.dir, 'services', 'orders', 'src', 'index.ts'), 'export const changedForQuota = true;\n');
    const quota = await system.run(['deploy']);
    assert.equal(quota.exitCode, 1);
    assert.match(quota.stderr, /orders failed to roll out.*FailedCreate/);
    assert.match(quota.stderr, /exceeded quota: compute/);
    assert.doesNotMatch(quota.stderr, /Failed to pull image|couldn't find key/, 'the events of this deploy, not those the earlier ones left');

    system.double.script('orders', 'deadline');
    writeFileSync(join(system.dir, 'services', 'orders', 'src', 'index.ts'), 'export const changedAgain = true;\n');
    const deadline = await system.run(['deploy']);
    assert.equal(deadline.exitCode, 1);
    assert.match(deadline.stderr, /ProgressDeadlineExceeded/);
    assert.match(deadline.stderr, /FailedScheduling: 0\/2 nodes are available/);
  } finally {
    await system.cleanup();
  }
});

test('a rollout still unfinished at --timeout exits with 124, saying what it waits for', async () => {
  const system = await kubeSystem({ orders: '{ kind: http, port: 3002 }' });
  try {
    system.double.script('orders', 'never-ready');
    const result = await system.run(['deploy', '--timeout', '1s']);
    assert.equal(result.exitCode, 124, result.stderr);
    assert.match(result.stderr, /rollout not finished after 1s/);
    assert.match(result.stderr, /orders: 0 of 1 updated replicas available/);
    const help = await system.run(['deploy', '--help']);
    assert.match(help.stdout, /124 rollouts not finished within --timeout/);
  } finally {
    await system.cleanup();
  }
});

test('a field another client owns is a conflict naming the field and its owner; --force-conflicts takes it over', async () => {
  const system = await kubeSystem({ orders: '{ kind: http, port: 3002, replicas: 2 }' });
  try {
    assert.equal((await system.run(['deploy'])).exitCode, 0);
    const live = system.double.get('Deployment', 'shop', 'orders')!;
    system.double.put({ ...live, spec: { ...live.spec, replicas: 5 } }, 'kubectl-edit');
    const refused = await system.run(['deploy']);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /Deployment shop\/orders: the API server refused the apply/);
    assert.match(refused.stderr, /\.spec\.replicas is owned by "kubectl-edit"/);
    assert.match(refused.stderr, /--force-conflicts/);
    const forced = await system.run(['deploy', '--force-conflicts']);
    assert.equal(forced.exitCode, 0, forced.stderr);
    assert.equal(system.double.get('Deployment', 'shop', 'orders')!.spec.replicas, 2);
  } finally {
    await system.cleanup();
  }
});

test('--dry-run sends dryRun=All, prints the fields that would change, and stores nothing', async () => {
  const system = await kubeSystem({ orders: '{ kind: http, port: 3002, replicas: 2 }' });
  try {
    const first = await system.run(['deploy', '--dry-run']);
    assert.equal(first.exitCode, 0, first.stderr);
    assert.match(first.stdout, /namespace shop does not exist yet/);
    assert.equal(system.double.list('Deployment').length, 0);

    assert.equal((await system.run(['deploy'])).exitCode, 0);
    system.writeManifest({ orders: '{ kind: http, port: 3002, replicas: 3, env: { FEATURE_FLAG: enabled } }' });
    writeFileSync(join(system.dir, '.env'), 'JWT_SECRET=rotated\nMSX_SERVICE_TOKEN_SECRET=another\nGATEWAY_IDENTITY_SECRET=third\nORDERS_DB_PASSWORD=db-password\n');
    const writesBefore = system.double.writes().length;
    const dry = await system.run(['deploy', '--dry-run']);
    assert.equal(dry.exitCode, 0, dry.stderr);
    const sent = system.double.writes().slice(writesBefore);
    assert.ok(sent.length > 0 && sent.every((r) => r.query.dryRun === 'All'), 'every write was a dry run');
    assert.match(dry.stdout, /would change Deployment shop\/orders\n\s+~ spec\.replicas: 2 → 3/);
    assert.match(dry.stdout, /would change ConfigMap shop\/orders\n\s+\+ data\.FEATURE_FLAG: "enabled"/);
    assert.match(dry.stdout, /~ data\.JWT_SECRET: \(secret value\) → \(secret value\)/);
    assert.doesNotMatch(dry.stdout, /rotated|cm90YXRlZA/);
    assert.match(dry.stdout, /unchanged\s+Namespace shop/);
    assert.equal(system.double.get('Deployment', 'shop', 'orders')!.spec.replicas, 2, 'nothing stored');
  } finally {
    await system.cleanup();
  }
});

test('msx deploy runs the system\'s own Prometheus (account, Role, binding, config, pod), and msx down removes it with the rest', async () => {
  const system = await kubeSystem(SERVICES);
  try {
    const result = await system.run(['deploy']);
    assert.equal(result.exitCode, 0, result.stderr);
    for (const kind of ['ServiceAccount', 'Role', 'RoleBinding', 'Service', 'Deployment']) assert.ok(system.double.get(kind, 'shop', 'prometheus'), `${kind}/prometheus applied`);
    assert.match(system.double.get('ConfigMap', 'shop', 'prometheus-config')!.data['prometheus.yml'], /kubernetes_sd_configs/);
    assert.equal(system.double.get('RoleBinding', 'shop', 'prometheus')!.roleRef.name, 'prometheus');
    const ps = await system.run(['ps', '--json']);
    assert.ok((JSON.parse(ps.stdout) as { service: string; ready: boolean }[]).some((i) => i.service === 'prometheus' && i.ready), ps.stdout);

    const down = await system.run(['down']);
    assert.equal(down.exitCode, 0, down.stderr);
    for (const kind of ['ServiceAccount', 'Role', 'RoleBinding', 'Deployment']) assert.equal(system.double.get(kind, 'shop', 'prometheus'), undefined, `${kind}/prometheus deleted`);
  } finally {
    await system.cleanup();
  }
});
