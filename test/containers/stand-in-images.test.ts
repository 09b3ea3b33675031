// The stand-in images from scripts/ci-images.sh keep the official images'
// interface (environment, entrypoint, data path, healthcheck tools), so a
// compose file rendered for the official images runs on them unchanged. Each
// check runs the image on the real engine and talks to it from another
// container, as the services of a compose deployment do.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { join } from 'node:path';
import { execa } from 'execa';
import { containerImages, requireDocker, type ContainerImages } from '../support/containers.js';
import { REPO_ROOT } from '../support/msx.js';

const run = `msxci-${process.pid}`;
const network = run;
const label = `msx-ci-test=${run}`;
let images: ContainerImages;
let ready = false;

interface Result {
  exitCode: number;
  stdout: string;
  stderr: string;
}

async function docker(args: readonly string[], timeout = 120_000): Promise<Result> {
  const result = await execa('docker', args, { reject: false, stdin: 'ignore', timeout });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout).trim(), stderr: String(result.stderr).trim() };
}

async function dockerOk(args: readonly string[], timeout?: number): Promise<string> {
  const result = await docker(args, timeout);
  assert.equal(result.exitCode, 0, `docker ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
  return result.stdout;
}

/** Starts a detached container on the test network; returns its name. */
async function start(name: string, args: readonly string[]): Promise<string> {
  const full = `${run}-${name}`;
  await dockerOk(['run', '-d', '--name', full, '--network', network, '--label', label, ...args]);
  return full;
}

/** A one-off container on the test network (a client of another container). */
function client(args: readonly string[], timeout?: number): Promise<Result> {
  return docker(['run', '--rm', '--network', network, '--label', label, ...args], timeout);
}

/** Retries `probe` until it succeeds; on giving up, fails with the container's last log lines. */
async function eventually(container: string, what: string, probe: () => Promise<Result>, attempts = 90): Promise<Result> {
  let last: Result | undefined;
  for (let i = 0; i < attempts; i++) {
    last = await probe();
    if (last.exitCode === 0) return last;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const logs = await docker(['logs', '--tail', '30', container]);
  assert.fail(`${what} never succeeded; last answer: ${last?.stderr || last?.stdout}\n--- ${container} logs:\n${logs.stdout}\n${logs.stderr}`);
}

/** Stops the container with its own stop signal; returns its exit code (137 would mean it had to be killed). */
async function stop(container: string): Promise<number> {
  await dockerOk(['stop', '--time', '60', container], 90_000);
  return Number(await dockerOk(['inspect', '--format', '{{.State.ExitCode}}', container]));
}

after(async () => {
  if (!ready) return;
  const containers = (await docker(['ps', '-aq', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
  if (containers.length > 0) await docker(['rm', '-f', '-v', ...containers]);
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', `label=${label}`])).stdout.split('\n').filter(Boolean);
  if (volumes.length > 0) await docker(['volume', 'rm', '-f', ...volumes]);
  await docker(['network', 'rm', network]);
});

test('the Docker engine answers and the stand-in images exist', async (t) => {
  if (!(await requireDocker(t))) return;
  images = await containerImages();
  for (const image of Object.values(images)) await dockerOk(['image', 'inspect', '--format', '{{.Id}}', image]);
  await dockerOk(['network', 'create', '--label', label, network]);
  ready = true;
});

test('postgres: POSTGRES_* on first start, password logins from another container, data kept in its volume, stops on its stop signal', async (t) => {
  if (!ready) return t.skip('no Docker engine');
  const volume = `${run}-pgdata`;
  await dockerOk(['volume', 'create', '--label', label, volume]);
  const env = ['-e', 'POSTGRES_USER=shop', '-e', 'POSTGRES_PASSWORD=first-secret', '-e', 'POSTGRES_DB=orders'];
  const db = await start('pg', [...env, '-v', `${volume}:/var/lib/postgresql/data`, images.postgres]);
  await eventually(db, 'pg_isready inside the container', () => docker(['exec', db, 'pg_isready', '-U', 'shop', '-d', 'orders']));

  const psql = (password: string, sql: string) =>
    client(['-e', `PGPASSWORD=${password}`, images.postgres, 'psql', '-h', db, '-U', 'shop', '-d', 'orders', '-Atc', sql]);
  const who = await eventually(db, 'a password login from another container', () => psql('first-secret', 'select current_user, current_database()'));
  assert.equal(who.stdout, 'shop|orders');
  const wrong = await psql('not-the-password', 'select 1');
  assert.notEqual(wrong.exitCode, 0);
  assert.match(wrong.stderr, /password authentication failed for user "shop"/);
  await dockerOk(['exec', db, 'test', '-s', '/var/lib/postgresql/data/PG_VERSION']);
  assert.equal((await psql('first-secret', 'create table kept (n int); insert into kept values (42)')).exitCode, 0);

  assert.equal(await stop(db), 0, 'PostgreSQL did not shut down on its stop signal');
  const stopLogs = await docker(['logs', '--tail', '5', db]);
  assert.match(stopLogs.stderr + stopLogs.stdout, /database system is shut down/);

  // A new container on the same volume keeps the data and the first password: POSTGRES_* apply to an empty data dir only.
  await dockerOk(['rm', db]);
  const again = await start('pg2', ['-e', 'POSTGRES_USER=shop', '-e', 'POSTGRES_PASSWORD=other', '-e', 'POSTGRES_DB=orders',
    '-v', `${volume}:/var/lib/postgresql/data`, images.postgres]);
  const psql2 = (password: string, sql: string) =>
    client(['-e', `PGPASSWORD=${password}`, images.postgres, 'psql', '-h', again, '-U', 'shop', '-d', 'orders', '-Atc', sql]);
  const kept = await eventually(again, 'a login to the restarted PostgreSQL', () => psql2('first-secret', 'select n from kept'));
  assert.equal(kept.stdout, '42');
});

test('postgres: refuses to initialise without POSTGRES_PASSWORD, saying which variable to set', async (t) => {
  if (!ready) return t.skip('no Docker engine');
  const result = await client([images.postgres]);
  assert.notEqual(result.exitCode, 0);
  assert.match(result.stderr, /POSTGRES_PASSWORD/);
});

test('rabbitmq: RABBITMQ_DEFAULT_USER/PASS login over AMQP from another container, no guest, rabbitmq-diagnostics ping, stops on SIGTERM', async (t) => {
  if (!ready) return t.skip('no Docker engine');
  const broker = await start('mq', ['-e', 'RABBITMQ_DEFAULT_USER=shop', '-e', 'RABBITMQ_DEFAULT_PASS=mq-secret', images.rabbitmq]);
  await eventually(broker, 'rabbitmq-diagnostics -q ping', () => docker(['exec', broker, 'rabbitmq-diagnostics', '-q', 'ping']));

  // amqplib from this repository, run in the node stand-in as uid 1000: a service's view of the broker.
  const amqp = (url: string) =>
    client(['--user', '1000', '-v', `${join(REPO_ROOT, 'node_modules')}:/app/node_modules:ro`, '-w', '/app', images.node, 'node', '-e',
      `require('amqplib').connect(${JSON.stringify(url)}).then(async (c) => { console.log('connected'); await c.close(); }, (e) => { console.error(e.message); process.exit(1); })`]);
  const login = await eventually(broker, 'an AMQP login as shop', () => amqp(`amqp://shop:mq-secret@${broker}:5672`));
  assert.equal(login.stdout, 'connected');
  const guest = await amqp(`amqp://guest:guest@${broker}:5672`);
  assert.notEqual(guest.exitCode, 0, 'the guest user exists although RABBITMQ_DEFAULT_USER names another');
  assert.match(guest.stderr, /ACCESS_REFUSED|403/);
  const wrong = await amqp(`amqp://shop:wrong@${broker}:5672`);
  assert.notEqual(wrong.exitCode, 0);

  await dockerOk(['exec', broker, 'test', '-d', '/var/lib/rabbitmq/mnesia']);
  assert.equal(await stop(broker), 0, 'RabbitMQ did not stop on SIGTERM');
});

test('redis: redis-server --requirepass from the command line, reachable from another container with redis-cli, runs as redis', async (t) => {
  if (!ready) return t.skip('no Docker engine');
  const locked = await start('redis', [images.redis, 'redis-server', '--requirepass', 'redis-secret']);
  const ping = (password?: string) =>
    client([images.redis, 'redis-cli', '-h', locked, ...(password ? ['-a', password, '--no-auth-warning'] : []), 'ping']);
  const pong = await eventually(locked, 'redis-cli ping with the password', () => ping('redis-secret'));
  assert.equal(pong.stdout, 'PONG');
  assert.match((await ping()).stdout, /NOAUTH/);
  assert.equal(await dockerOk(['exec', locked, 'sh', '-c', 'stat -c %U /proc/1']), 'redis');

  // The default command, like the official image: no protected mode, so other containers may connect.
  const open = await start('redis-open', [images.redis]);
  const openPong = await eventually(open, 'redis-cli ping to the default command', () => client([images.redis, 'redis-cli', '-h', open, 'ping']));
  assert.equal(openPong.stdout, 'PONG');
  assert.equal(await stop(open), 0);
});

test('prometheus: /bin/prometheus with the official default flags, /-/ready on 9090, wget for healthchecks, runs as nobody', async (t) => {
  if (!ready) return t.skip('no Docker engine');
  const config = JSON.parse(await dockerOk(['image', 'inspect', '--format', '{{json .Config}}', images.prometheus])) as {
    Entrypoint: string[];
    Cmd: string[];
    User: string;
  };
  assert.deepEqual(config.Entrypoint, ['/bin/prometheus']);
  assert.deepEqual(config.Cmd, ['--config.file=/etc/prometheus/prometheus.yml', '--storage.tsdb.path=/prometheus']);
  assert.equal(config.User, 'nobody');

  const prom = await start('prom', [images.prometheus]);
  const readyAnswer = await eventually(prom, 'wget /-/ready inside the container', () =>
    docker(['exec', prom, 'wget', '-qO-', 'http://localhost:9090/-/ready']));
  assert.match(readyAnswer.stdout, /Ready/);
  const targets = await client(['--entrypoint', 'wget', images.prometheus, '-qO-', `http://${prom}:9090/api/v1/targets`]);
  assert.equal(targets.exitCode, 0, targets.stderr);
  assert.equal((JSON.parse(targets.stdout) as { status: string }).status, 'success');
  assert.equal(await stop(prom), 0);
});

test('node: node 20 and npm as user node (1000:1000, home /home/node), npm ci reaches the registry', async (t) => {
  if (!ready) return t.skip('no Docker engine');
  const whoami = await client(['--user', 'node', images.node, 'sh', '-c', 'id -u; id -g; echo "$HOME"; command -v node; command -v npm; command -v npx; node --version']);
  assert.equal(whoami.exitCode, 0, whoami.stderr);
  const [uid, gid, home, node, npm, npx, version] = whoami.stdout.split('\n');
  assert.deepEqual([uid, gid, home, node], ['1000', '1000', '/home/node', '/usr/local/bin/node']);
  assert.ok(npm && npx, 'npm or npx is not on PATH');
  assert.match(version ?? '', /^v20\./);

  const script = [
    'set -e',
    'mkdir /home/node/app && cd /home/node/app',
    `echo '{"name":"probe","version":"1.0.0","private":true,"dependencies":{"ms":"2.1.3"}}' > package.json`,
    'npm install --package-lock-only --no-audit --no-fund >/dev/null',
    'npm ci --no-audit --no-fund',
    `node -e 'console.log(require("ms")(60000))'`,
  ].join('\n');
  const install = await client(['--user', '1000', images.node, 'sh', '-c', script], 300_000);
  assert.equal(install.exitCode, 0, `npm ci inside the node image failed:\n${install.stderr}`);
  assert.match(install.stdout, /^1m$/m);
});
