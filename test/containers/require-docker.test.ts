// requireDocker(t): outside CI a test without an engine is skipped with the
// reason; in CI it fails, because CI must never skip.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { REPO_ROOT, userEnv } from '../support/msx.js';

const FIXTURE = join(REPO_ROOT, 'test', 'containers', 'fixtures', 'needs-docker.ts');
const DEAD = `unix:///tmp/msx-no-engine-${process.pid}.sock`;

async function runFixture(env: Record<string, string>) {
  const base = userEnv(env);
  if (!('CI' in env)) delete base.CI;
  const result = await execa(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=tap', FIXTURE], {
    reject: false, stdin: 'ignore', cwd: REPO_ROOT, env: base, extendEnv: false, timeout: 120_000,
  });
  return { exitCode: result.exitCode, out: String(result.stdout) };
}

test('without an engine, outside CI, a test that needs Docker is skipped with the reason and how to get one', async () => {
  const { exitCode, out } = await runFixture({ DOCKER_HOST: DEAD });
  assert.equal(exitCode, 0, out);
  assert.match(out, /# SKIP no Docker engine answers at unix:\/\/\/tmp\/msx-no-engine-\d+\.sock .*scripts\/ci-images\.sh/);
});

test('without an engine, in CI, a test that needs Docker fails loudly instead of skipping', async () => {
  const { exitCode, out } = await runFixture({ DOCKER_HOST: DEAD, CI: '1' });
  assert.notEqual(exitCode, 0, out);
  assert.match(out, /not ok 1 - needs the Docker engine/);
  assert.match(out, /broken CI set-up, not a skip/);
  assert.doesNotMatch(out, /# SKIP/);
});
