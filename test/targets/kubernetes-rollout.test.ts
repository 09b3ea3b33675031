import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatChanges, objectChanges } from '../../src/targets/kubernetes/object-diff.js';
import { cpuPercent, memoryBytes } from '../../src/targets/kubernetes/pod-instances.js';
import { podProblem } from '../../src/targets/kubernetes/pod-problems.js';
import { pruneCandidates } from '../../src/targets/kubernetes/prune.js';
import { deploymentRollout, statefulSetRollout } from '../../src/targets/kubernetes/rollout-status.js';
import type { KubeObject } from '../../src/targets/kubernetes/kube-object.js';

test('a Deployment rollout is done only as kubectl rollout status says: observed, updated, no old replicas, available', () => {
  const at = (generation: number, status: Record<string, unknown>, replicas = 3) => deploymentRollout({ metadata: { generation }, spec: { replicas }, status });
  assert.equal(at(2, { observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }).state, 'progressing', 'new spec not yet observed');
  assert.deepEqual(at(2, { observedGeneration: 2, updatedReplicas: 1, replicas: 4, availableReplicas: 3 }), { state: 'progressing', message: '1 of 3 new replicas updated', ready: 1, desired: 3 });
  assert.equal((at(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 4, availableReplicas: 3 }) as { message: string }).message, '1 old replica pending termination');
  assert.equal((at(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }) as { message: string }).message, '2 of 3 updated replicas available');
  assert.equal(at(2, { observedGeneration: 2, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }).state, 'done');
  const deadline = at(2, { observedGeneration: 2, updatedReplicas: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'ReplicaSet "x" has timed out progressing.' }] });
  assert.equal(deadline.state, 'failed');
  assert.equal((deadline as { reason: string }).reason, 'ProgressDeadlineExceeded');
  // An autoscaled Deployment has no replicas in its spec: one is the default.
  assert.equal(deploymentRollout({ metadata: { generation: 1 }, spec: {}, status: { observedGeneration: 1, updatedReplicas: 1, replicas: 1, availableReplicas: 1 } }).state, 'done');
});

test('a StatefulSet rollout waits for ready pods and the update revision', () => {
  assert.equal(statefulSetRollout({ metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, readyReplicas: 0 } }).state, 'progressing');
  assert.equal(statefulSetRollout({ metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, readyReplicas: 1, currentRevision: 'a', updateRevision: 'b' } }).state, 'progressing');
  assert.equal(statefulSetRollout({ metadata: { generation: 1 }, spec: { replicas: 1 }, status: { observedGeneration: 1, readyReplicas: 1, currentRevision: 'b', updateRevision: 'b' } }).state, 'done');
});

test('pod problems that waiting cannot fix are recognised; a readiness probe failing while starting is not one', () => {
  const waiting = (reason: string) => ({ metadata: { name: 'p' }, status: { containerStatuses: [{ name: 'c', restartCount: 4, state: { waiting: { reason, message: 'm' } }, lastState: { terminated: { exitCode: 137 } } }] } });
  assert.deepEqual(podProblem(waiting('CrashLoopBackOff'), []), { pod: 'p', container: 'c', reason: 'CrashLoopBackOff', message: 'last exit code 137, 4 restarts' });
  assert.equal(podProblem(waiting('ImagePullBackOff'), [])?.reason, 'ImagePullBackOff');
  assert.equal(podProblem(waiting('CreateContainerConfigError'), [])?.reason, 'CreateContainerConfigError');
  assert.equal(podProblem(waiting('ContainerCreating'), []), undefined);
  const starting = { metadata: { name: 'p' }, status: { containerStatuses: [] } };
  assert.equal(podProblem(starting, [{ type: 'Warning', reason: 'Unhealthy', message: 'Readiness probe failed', involvedObject: { name: 'p' } }]), undefined);
  assert.equal(podProblem(starting, [{ type: 'Warning', reason: 'Failed', message: 'Error: secret not found', involvedObject: { name: 'p' } }])?.message, 'Error: secret not found');
  assert.equal(podProblem(starting, [{ type: 'Warning', reason: 'Failed', message: 'x', involvedObject: { name: 'another-pod' } }]), undefined);
});

test('a dry-run diff shows changed fields, ignores what the server keeps, and never prints a Secret value', () => {
  const live = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '5', uid: 'u', managedFields: [{}] }, data: { A: 'b2xk', KEEP: 'a2Vw' }, status: { x: 1 } };
  const proposed = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', resourceVersion: '6', uid: 'u' }, data: { A: 'bmV3', KEEP: 'a2Vw', B: 'YWRk' } };
  const changes = objectChanges(live, proposed);
  assert.deepEqual(changes.map((c) => c.path), ['data.A', 'data.B']);
  assert.deepEqual(formatChanges('Secret', changes), ['~ data.A: (secret value) → (secret value)', '+ data.B: (secret value)']);
  assert.deepEqual(formatChanges('Deployment', objectChanges({ spec: { replicas: 2, paused: true } }, { spec: { replicas: 3 } })), ['~ spec.replicas: 2 → 3', '- spec.paused: true']);
});

test('prune takes what msx made and no longer renders, never the namespace or claims, in reverse apply order', () => {
  const object = (kind: string, name: string, apiVersion = 'v1'): KubeObject => ({ apiVersion, kind, metadata: { name, namespace: 'shop' } });
  const live = new Map<string, KubeObject>();
  for (const o of [object('Namespace', 'shop'), object('ConfigMap', 'old'), object('Deployment', 'old', 'apps/v1'), object('Service', 'old'), object('PersistentVolumeClaim', 'data-old-db-0'), object('Deployment', 'kept', 'apps/v1')]) live.set(`${o.apiVersion.includes('/') ? o.apiVersion.split('/')[0] : ''}/${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`, o);
  const pruned = pruneCandidates(live, [object('Deployment', 'kept', 'apps/v1')]);
  assert.deepEqual(pruned.map((o) => `${o.kind}/${o.metadata.name}`), ['Deployment/old', 'Service/old', 'ConfigMap/old']);
});

test('metrics API quantities', () => {
  assert.equal(cpuPercent('250m'), 25);
  assert.equal(cpuPercent('1'), 100);
  assert.equal(Math.round(cpuPercent('1500000n') * 100) / 100, 0.15);
  assert.equal(memoryBytes('48Mi'), 48 * 1024 * 1024);
  assert.equal(memoryBytes('1G'), 1e9);
  assert.equal(memoryBytes('2048Ki'), 2 * 1024 * 1024);
});
