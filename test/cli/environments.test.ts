import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { msx, tempDir } from '../support/msx.js';

// environments: in msx.yaml, chosen with --env (or per target by default), as the CLI shows them.
let dir: string;
let system: string;
let cleanup: () => void;
let original: string;

const ENVIRONMENTS = `
environments:
  staging:
    services:
      users:
        replicas: 2
        env: { LOG_LEVEL: debug, FEATURE_SEARCH: "on" }
  prod:
    target: kubernetes
    secrets: environment
    services:
      users:
        replicas: 3
        resources: { limits: { memory: 512Mi } }
        autoscaling: { min: 3, max: 6, cpu: 70 }
      orders:
        env: { FEATURE_SEARCH: "off" }
`;

before(async () => {
  ({ dir, cleanup } = tempDir());
  const created = await msx(['new', 'sys', '--services', 'users,orders', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
  system = join(dir, 'sys');
  // Room for users' extra replicas on the local target's ports.
  original = readFileSync(join(system, 'msx.yaml'), 'utf8').replace('port: 3002', 'port: 3010');
  writeFileSync(join(system, 'msx.yaml'), original + ENVIRONMENTS);
});
after(() => cleanup());

const lineOf = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

test('msx config --env staging prints the manifest with staging\'s overrides applied, and names the environment', async () => {
  const result = await msx(['-C', system, 'config', '--json', '--env', 'staging']);
  assert.equal(result.exitCode, 0, result.stderr);
  const resolved = JSON.parse(result.stdout);
  assert.deepEqual(resolved.environment, { name: 'staging', secrets: 'file', secretsFrom: '.env.staging' });
  assert.equal(resolved.services.users.replicas, 2);
  assert.deepEqual(resolved.services.users.env, { LOG_LEVEL: 'debug', FEATURE_SEARCH: 'on' });
  assert.equal(resolved.services.orders.replicas, 1, 'a service the environment does not name is as msx.yaml says');
  assert.equal(resolved.environments, undefined, 'the resolved manifest is what runs: one environment');

  const plain = JSON.parse((await msx(['-C', system, 'config', '--json'])).stdout);
  assert.equal(plain.services.users.replicas, 1, 'without --env (and no default on local) msx.yaml as written');
  assert.equal(plain.environment, undefined);
});

test('an environment merges maps key by key: prod\'s memory limit leaves the CPU limit and requests as they were', async () => {
  const result = await msx(['-C', system, 'config', '--json', '--env', 'prod']);
  assert.equal(result.exitCode, 0, result.stderr);
  const users = JSON.parse(result.stdout).services.users;
  assert.deepEqual(users.resources, { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '512Mi' } });
  assert.deepEqual(users.autoscaling, { min: 3, max: 6, cpu: 70 });
  assert.equal(JSON.parse(result.stdout).target, 'kubernetes');
});

test('an unknown environment is a usage error that lists the known ones', async () => {
  const result = await msx(['-C', system, 'ps', '--env', 'qa']);
  assert.equal(result.exitCode, 2);
  assert.match(result.stderr, /unknown environment "qa"/);
  assert.match(result.stderr, /defines: staging, prod/);
});

test('a mistake in an environment is reported at its line, with a did-you-mean', async () => {
  const text = original + ENVIRONMENTS.replace('        replicas: 3', '        replica: 3');
  writeFileSync(join(system, 'msx.yaml'), text);
  try {
    const result = await msx(['-C', system, 'config']);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'replica: 3')}:\\d+\\s+environments\\.prod\\.services\\.users`));
    assert.match(result.stderr, /replicas/);
  } finally {
    writeFileSync(join(system, 'msx.yaml'), original + ENVIRONMENTS);
  }
});

test('a value that is only wrong once merged is reported where the environment sets it', async () => {
  // A partial autoscaling merges into the service's own; users has none, so min alone lacks max and a target.
  const text = original + ENVIRONMENTS.replace('autoscaling: { min: 3, max: 6, cpu: 70 }', 'autoscaling: { min: 3 }');
  writeFileSync(join(system, 'msx.yaml'), text);
  try {
    const result = await msx(['-C', system, 'config', '--env', 'prod']);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'autoscaling: { min: 3 }')}:\\d+\\s+environments\\.prod\\.services\\.users\\.autoscaling`));
    const staging = await msx(['-C', system, 'config', '--env', 'staging']);
    assert.equal(staging.exitCode, 0, 'the other environments are unaffected');
  } finally {
    writeFileSync(join(system, 'msx.yaml'), original + ENVIRONMENTS);
  }
});

test('overriding a service msx.yaml does not define is an error naming the services', async () => {
  const text = original + ENVIRONMENTS.replace('      orders:\n', '      ordres:\n');
  writeFileSync(join(system, 'msx.yaml'), text);
  try {
    const result = await msx(['-C', system, 'config']);
    assert.equal(result.exitCode, 2);
    assert.match(result.stderr, new RegExp(`msx\\.yaml:${lineOf(text, 'ordres:')}:\\d+\\s+environments\\.prod\\.services\\.ordres: overrides service "ordres"`));
    assert.match(result.stderr, /services: gateway, users, orders/);
  } finally {
    writeFileSync(join(system, 'msx.yaml'), original + ENVIRONMENTS);
  }
});

test('an environment that names a target is that target\'s default: render kubernetes uses prod without --env', async () => {
  const result = await msx(['-C', system, 'render', 'kubernetes', '--stdout']);
  assert.equal(result.exitCode, 0, result.stderr);
  const hpa = parseAllDocuments(result.stdout).map((d) => d.toJS()).find((o) => o?.kind === 'HorizontalPodAutoscaler');
  assert.equal(hpa?.metadata.name, 'users', 'prod\'s autoscaling is rendered');
});

/** Every leaf of every rendered object, as "Kind/name path" → value. */
function leaves(yamlText: string): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object') {
      const entries = Array.isArray(value) ? value.map((v, i) => [String(i), v] as const) : Object.entries(value);
      for (const [key, child] of entries) walk(`${prefix}.${key}`, child);
    } else out.set(prefix, value);
  };
  for (const document of parseAllDocuments(yamlText)) {
    const object = document.toJS() as { kind: string; metadata: { name: string } } | null;
    if (object) walk(`${object.kind}/${object.metadata.name}`, object);
  }
  return out;
}

test('msx render kubernetes --env prod differs from --env staging exactly where msx.yaml says', async () => {
  const [staging, prod] = await Promise.all(['staging', 'prod'].map((env) => msx(['-C', system, 'render', 'kubernetes', '--stdout', '--env', env])));
  assert.equal(staging!.exitCode, 0, staging!.stderr);
  assert.equal(prod!.exitCode, 0, prod!.stderr);
  const a = leaves(staging!.stdout);
  const b = leaves(prod!.stdout);
  const differing = [...new Set([...a.keys(), ...b.keys()])].filter((key) => a.get(key) !== b.get(key));
  // Leaves of objects only one environment has (prod's HorizontalPodAutoscaler) are counted once, as the object.
  const objects = new Set<string>();
  const paths = new Set<string>();
  for (const key of differing) {
    const object = key.slice(0, key.indexOf('.'));
    const onlyIn = [...a.keys()].some((k) => k.startsWith(`${object}.`)) !== [...b.keys()].some((k) => k.startsWith(`${object}.`));
    if (onlyIn) objects.add(object);
    else paths.add(key);
  }
  assert.deepEqual([...objects].sort(), ['HorizontalPodAutoscaler/users']);
  // The header comment is not an object; each ConfigMap names its environment; a pod template's config hash follows its ConfigMap.
  const expected = [
    'ConfigMap/users.data.LOG_LEVEL', // staging: debug; prod: the default
    'ConfigMap/users.data.FEATURE_SEARCH', // staging only
    'ConfigMap/orders.data.FEATURE_SEARCH', // prod only
    'Deployment/users.spec.replicas', // staging 2; prod: left to the autoscaler
    'Deployment/users.spec.template.spec.containers.0.resources.limits.memory', // prod 512Mi
  ];
  const environmentNames = [...paths].filter((p) => p.endsWith('.data.MSX_ENVIRONMENT'));
  assert.ok(environmentNames.length > 0, 'services are told their environment');
  for (const p of environmentNames) assert.deepEqual([a.get(p), b.get(p)], ['staging', 'prod']);
  const rest = [...paths].filter((p) => !p.endsWith('.data.MSX_ENVIRONMENT') && !p.endsWith('/config-hash'));
  assert.deepEqual(rest.sort(), [...expected].sort());
  assert.equal(a.get('ConfigMap/users.data.FEATURE_SEARCH'), 'on');
  assert.equal(b.get('Deployment/users.spec.template.spec.containers.0.resources.limits.memory'), '512Mi');
});
