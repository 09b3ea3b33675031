import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { deploymentFile, readDeployment, removeDeployment, writeDeployment } from '../../src/targets/deployment-record.js';
import { resolveTarget } from '../../src/targets/resolve-target.js';
import { msx, tempDir } from '../support/msx.js';

const MANIFEST = `version: 1
name: demo
services:
  gateway: { kind: gateway, port: 8080 }
  users: { kind: http, port: 3001 }
`;

function system(extra = ''): { root: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  writeFileSync(join(dir, 'msx.yaml'), `${MANIFEST}${extra}`);
  return { root: dir, cleanup };
}

test('the target is --target, else the recorded deployment, else msx.yaml, else local; up ignores the record', (t) => {
  const { root, cleanup } = system();
  t.after(cleanup);
  assert.equal(resolveTarget(root).kind, 'local', 'nothing said: local');
  writeDeployment(root, 'local', 'demo');
  assert.equal(readDeployment(root)?.target, 'local');
  assert.equal(resolveTarget(root, { target: 'local' }).kind, 'local');
  removeDeployment(root, 'compose');
  assert.ok(readDeployment(root), 'a down on another target leaves the record alone');
  removeDeployment(root, 'local');
  assert.equal(readDeployment(root), undefined);
});

test('a deployment file msx did not write is ignored', (t) => {
  const { root, cleanup } = system();
  t.after(cleanup);
  mkdirSync(join(root, '.msx'));
  writeFileSync(deploymentFile(root), '{"target": 3');
  assert.equal(readDeployment(root), undefined);
  assert.equal(resolveTarget(root).kind, 'local');
});

test('a misspelt target in msx.yaml or --target is a usage error naming the targets', async (t) => {
  const { root, cleanup } = system('target: kuberntes\n');
  t.after(cleanup);
  const fromManifest = await msx(['ps'], { cwd: root });
  assert.equal(fromManifest.exitCode, 2, fromManifest.stderr);
  assert.match(fromManifest.stderr, /msx\.yaml:\d+:\d+  target: "kuberntes" is not allowed[\s\S]*"local", "compose", "kubernetes"/);

  const other = system();
  t.after(other.cleanup);
  const fromFlag = await msx(['ps', '--target', 'kube'], { cwd: other.root });
  assert.equal(fromFlag.exitCode, 2, fromFlag.stderr);
  assert.match(fromFlag.stderr, /local, compose, kubernetes/);
});

test('ps on a system recorded as running locally but stopped says nothing runs', async (t) => {
  const { root, cleanup } = system();
  t.after(cleanup);
  writeDeployment(root, 'local', 'demo');
  const result = await msx(['ps'], { cwd: root });
  assert.equal(result.exitCode, 0, result.stderr);
  assert.match(result.stdout, /nothing is running/);
  const down = await msx(['down'], { cwd: root });
  assert.equal(down.exitCode, 0, down.stderr);
  assert.equal(readDeployment(root), undefined, 'down forgets the deployment');
});
