// msx doctor on containers: what it says must be what the docker tools
// themselves say on this machine, and when a piece is missing it must say what
// that prevents.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { requireDocker } from '../support/containers.js';
import { msx } from '../support/msx.js';

interface Finding {
  name: string;
  ok: boolean;
  detail: string;
  impact: string;
}

async function doctor(env: Record<string, string> = {}): Promise<Record<string, Finding>> {
  const result = await msx(['doctor', '--json'], { env, timeout: 120_000 });
  assert.equal(result.exitCode, 0, `msx doctor failed: ${result.stderr}`);
  return Object.fromEntries((JSON.parse(result.stdout) as Finding[]).map((f) => [f.name, f]));
}

async function output(file: string, args: readonly string[]): Promise<string> {
  return String((await execa(file, [...args])).stdout).trim();
}

/** A PATH holding only the named programs (links to the real ones), to take the others away. */
const bins: string[] = [];
async function pathWith(programs: readonly string[]): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'msx-doctor-path-'));
  bins.push(dir);
  for (const program of programs) symlinkSync(await output('sh', ['-c', `command -v ${program}`]), join(dir, program));
  return dir;
}
after(() => {
  for (const dir of bins) rmSync(dir, { recursive: true, force: true });
});

test('msx doctor reports the engine, compose v2, compose v1 and buildx as the tools themselves report them', async (t) => {
  if (!(await requireDocker(t))) return;
  const found = await doctor();
  const [server, api] = (await output('docker', ['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}'])).split(' ');
  const engine = found['Docker engine']!;
  assert.equal(engine.ok, true, engine.detail);
  assert.equal(engine.detail, `${server} (API ${api}) at ${process.env.DOCKER_HOST ?? 'unix:///var/run/docker.sock'}`);
  assert.match(engine.impact, /msx build/);

  // CI installs all three (scripts/ci-images.sh); doctor's versions are theirs.
  assert.deepEqual(
    [found['docker compose (v2)']!.detail, found['docker-compose (v1)']!.detail],
    [await output('docker', ['compose', 'version', '--short']), await output('docker-compose', ['version', '--short'])],
    JSON.stringify(found, null, 2),
  );
  assert.equal(found['docker compose (v2)']!.ok && found['docker-compose (v1)']!.ok, true);
  const buildx = found['docker buildx']!;
  assert.equal(buildx.ok, true, buildx.detail);
  assert.equal(buildx.detail, (await output('docker', ['buildx', 'version'])).split(/\s+/)[1]);
});

test('with no engine answering (DOCKER_HOST at a dead socket) doctor says so, what it prevents and how to start one', async () => {
  const dead = join(tmpdir(), `msx-no-engine-${process.pid}.sock`);
  const found = await doctor({ DOCKER_HOST: `unix://${dead}` });
  const engine = found['Docker engine']!;
  assert.equal(engine.ok, false);
  assert.match(engine.detail, new RegExp(`not reachable at unix://${dead.replace(/[.]/g, '\\.')}`));
  assert.match(engine.impact, /no msx build and no compose target/);
  assert.match(engine.impact, /start the engine DOCKER_HOST points at/);
  assert.match(engine.impact, /local target needs no Docker/);

  const table = await msx(['doctor'], { env: { DOCKER_HOST: `unix://${dead}` }, timeout: 120_000 });
  assert.equal(table.exitCode, 0, 'a missing engine is not a failure of doctor: the local target needs none');
  assert.match(table.stdout, /✖\s+Docker engine\s+not reachable/);
});

test('with neither compose nor buildx on PATH doctor says the compose target is unavailable and builds use the legacy builder', async () => {
  const found = await doctor({ PATH: await pathWith(['node']) });
  for (const name of ['docker compose (v2)', 'docker-compose (v1)']) {
    assert.equal(found[name]!.ok, false, name);
    assert.match(found[name]!.detail, /not found on PATH/);
    assert.match(found[name]!.impact, /no compose target/);
  }
  assert.equal(found['docker buildx']!.ok, false);
  assert.match(found['docker buildx']!.impact, /legacy builder/);
});

test('with compose v2 but no docker-compose v1, doctor says nothing is lost', async (t) => {
  if (!(await requireDocker(t))) return;
  const found = await doctor({ PATH: await pathWith(['node', 'docker']) });
  assert.equal(found['docker compose (v2)']!.ok, true, found['docker compose (v2)']!.detail);
  assert.equal(found['docker-compose (v1)']!.ok, false);
  assert.match(found['docker-compose (v1)']!.impact, /nothing lost: the compose target uses docker compose v2/);
});
