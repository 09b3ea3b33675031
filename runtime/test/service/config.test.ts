import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { ConfigError, createService, z, type BaseConfig, type Service } from '../../src/index.js';

const silent = { write() {} };
const FIXTURE = fileURLToPath(new URL('./fixtures/app.ts', import.meta.url));
const CRASH_FIXTURE = fileURLToPath(new URL('./fixtures/crash-at-start.ts', import.meta.url));

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

test('base configuration has documented defaults', () => {
  const service = createService({ name: 'users', env: {}, logDestination: silent });
  const expected: BaseConfig = {
    PORT: undefined,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    SHUTDOWN_TIMEOUT_MS: 10000,
    SHUTDOWN_DELAY_MS: undefined,
    MSX_INSTANCE: `users-${process.pid}`,
    BODY_LIMIT: '1mb',
  };
  assert.deepEqual(service.config, expected);
});

test('base and extra variables are read from the environment and typed; empty strings count as unset', () => {
  const service = createService({
    name: 'users',
    env: { PORT: '8081', LOG_LEVEL: 'warn', MSX_INSTANCE: 'users-a', GREETING: '', RETRIES: '4', HOST: '' },
    config: { GREETING: z.string().default('hi'), RETRIES: z.coerce.number().int() },
    logDestination: silent,
  });
  assert.equal(service.config.PORT, 8081);
  assert.equal(service.config.HOST, '127.0.0.1');
  assert.equal(service.config.LOG_LEVEL, 'warn');
  assert.equal(service.config.GREETING, 'hi');
  const retries: number = service.config.RETRIES;
  assert.equal(retries, 4);
  // A service with its own config is still a plain `Service` for helpers that take one.
  const plain: Service = service;
  assert.equal(plain.config.PORT, 8081);
});

test('a bad variable is a ConfigError naming the variable, the rule and the value', () => {
  const error = configError(() => createService({ name: 'users', env: { PORT: 'abc' }, logDestination: silent }));
  assert.equal(error.message, 'users: invalid configuration: PORT must be an integer 0-65535, got "abc"');
  assert.equal(error.exitCode, 78);
  assert.deepEqual(error.issues, [{ variable: 'PORT', problem: 'must be an integer 0-65535', received: 'abc' }]);
});

test('every bad variable is reported at once; missing ones say they are required; secrets are not echoed', () => {
  const error = configError(() =>
    createService({
      name: 'orders',
      env: { PORT: '70000', LOG_LEVEL: 'loud', JWT_SECRET: 'short', BODY_LIMIT: 'lots' },
      config: { DATABASE_URL: z.url(), JWT_SECRET: z.string().min(32) },
      logDestination: silent,
    }),
  );
  assert.deepEqual(
    error.issues.map((i) => i.variable).sort(),
    ['BODY_LIMIT', 'DATABASE_URL', 'JWT_SECRET', 'LOG_LEVEL', 'PORT'],
  );
  assert.doesNotMatch(error.message, /\n/);
  assert.match(error.message, /DATABASE_URL is required/);
  assert.match(error.message, /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/);
  assert.match(error.message, /JWT_SECRET must be at least 32 characters long, got "\(redacted\)"/);
  assert.doesNotMatch(error.message, /short/);
});

test('an invalid service name is refused', () => {
  assert.throws(() => createService({ name: 'Users_1', env: {}, logDestination: silent }), /DNS-1123/);
});

test('a configuration error stops the process with exit code 78 and one line on stderr, no stack', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, PORT: 'abc', SLOW_MS: 'soon' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(child.status, 78, `stderr: ${child.stderr}`);
  assert.equal(child.stdout, '');
  assert.equal(
    child.stderr,
    'fixture: invalid configuration: PORT must be an integer 0-65535, got "abc"; SLOW_MS must be a number, got "soon"\n',
  );
});

test('a service started without PORT stops with exit code 78 and one line saying how to give it one', () => {
  const env = { ...process.env, LOG_LEVEL: 'silent' };
  delete env.PORT;
  const child = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE], { env, encoding: 'utf8', timeout: 20_000 });
  assert.equal(child.status, 78, `stderr: ${child.stderr}`);
  assert.equal(child.stdout, '');
  assert.equal(child.stderr, 'fixture: invalid configuration: PORT is not set: start the system with `msx up`, or set PORT to the port to listen on\n');
});

test('listen() with a port of its own needs no PORT', async () => {
  const service = createService({ name: 'users', env: {}, logDestination: silent });
  const { port } = await service.listen({ port: 0, handleSignals: false });
  assert.ok(port > 0);
  await service.close();
});

test('a start-up failure that is not a configuration problem exits 1 with its stack on stderr', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', CRASH_FIXTURE], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'silent' },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.equal(child.status, 1, `stderr: ${child.stderr}`);
  assert.match(child.stderr, /^failed to start: TypeError: cannot read properties of undefined \(reading "pool"\)\n\s+at /);
});

test('SHUTDOWN_DELAY_MS is bounded: a minute at most', () => {
  assert.equal(createService({ name: 'users', env: { SHUTDOWN_DELAY_MS: '60000' }, logDestination: silent }).config.SHUTDOWN_DELAY_MS, 60000);
  const error = configError(() => createService({ name: 'users', env: { SHUTDOWN_DELAY_MS: '600000' }, logDestination: silent }));
  assert.equal(error.issues[0]?.variable, 'SHUTDOWN_DELAY_MS');
  assert.match(error.message, /at most 60000 milliseconds/);
});
