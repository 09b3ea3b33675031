import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Chalk } from 'chalk';
import { parseScaleArgs } from '../../src/commands/scale.js';
import { CliError } from '../../src/errors/cli-error.js';
import { formatEntry } from '../../src/logs/log-format.js';
import { matchesQuery, matchesSource } from '../../src/logs/log-filter.js';
import { normalizeLine, parseLogLine, supervisorLine } from '../../src/logs/log-line.js';
import { listeningInodes } from '../../src/targets/local/port-holder.js';
import { cpuTicksFromStat, rssFromStatus } from '../../src/targets/local/process-stats.js';
import { signUserToken } from '../../src/token/user-token.js';
import { createUserTokenVerifier } from '../../runtime/src/auth/user-token.js';

const plain = new Chalk({ level: 0 });

test('JSON lines are kept as they are; other output is wrapped with its time and stream', () => {
  const json = '{"level":"info","time":1,"msg":"hi"}';
  assert.equal(normalizeLine(json, 'stdout', 'users', 'users-1', 5), json);
  const wrapped = JSON.parse(normalizeLine('Error: boom', 'stderr', 'users', 'users-1', 5));
  assert.deepEqual(wrapped, { level: 'warn', time: 5, service: 'users', instance: 'users-1', stream: 'stderr', msg: 'Error: boom' });
});

test('filters: sources, since, level, grep, and trace by trace id or request id', () => {
  const entry = parseLogLine('{"level":"warn","time":2000,"service":"users","instance":"users-2","msg":"slow","requestId":"r1","traceId":"t1"}', { service: '', instance: '' })!;
  assert.equal(entry.level, 40);
  assert.ok(matchesSource('users-2', ['users']));
  assert.ok(matchesSource('users-2', ['users-2']));
  assert.ok(!matchesSource('users-admin-1', ['users']));
  const none = { since: undefined, minLevel: undefined, grep: undefined, trace: undefined };
  assert.ok(matchesQuery(entry, { ...none, since: 2000, minLevel: 40, grep: 'SLOW', trace: 't1' }));
  assert.ok(matchesQuery(entry, { ...none, trace: 'r1' }));
  assert.ok(!matchesQuery(entry, { ...none, since: 2001 }));
  assert.ok(!matchesQuery(entry, { ...none, minLevel: 50 }));
  assert.ok(!matchesQuery(entry, { ...none, grep: 'fast' }));
  assert.ok(!matchesQuery(entry, { ...none, trace: 'other' }));
});

test('pretty lines: time, padded instance, level, message, key fields first; msx notes marked', () => {
  const entry = parseLogLine('{"level":"info","time":0,"service":"users","instance":"users-1","msg":"request completed","durationMs":1.5,"method":"GET","path":"/users","status":200}', { service: '', instance: '' })!;
  assert.equal(formatEntry({ ...entry, time: Date.UTC(2024, 0, 1, 12, 3, 4, 512) }, plain, 9), '12:03:04.512 users-1   │ INFO  request completed method=GET path=/users status=200 durationMs=1.5');
  const note = parseLogLine(supervisorLine('users', 'users-1', 'warn', 'exited unexpectedly', { exitCode: 1 }, 0), { service: '', instance: '' })!;
  assert.match(formatEntry(note, plain, 7), /WARN {2}msx: exited unexpectedly exitCode=1$/);
});

test('the holder of a port is found from /proc/net/tcp: LISTEN state, port in hex', () => {
  const table = [
    '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
    '   0: 0100007F:0BB9 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 4242 1 0000000000000000 100 0 0 10 0',
    '   1: 0100007F:0BB9 0100007F:9C40 01 00000000:00000000 00:00000000 00000000  1000        0 4343 1 0000000000000000 20 4 30 10 -1',
  ].join('\n');
  assert.deepEqual(listeningInodes(table, 3001), ['4242']);
  assert.deepEqual(listeningInodes(table, 3002), []);
});

test('CPU ticks and RSS come from /proc stat and status, even with spaces in the command name', () => {
  const stat = '1234 (node (my app)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 100 0 0';
  assert.equal(cpuTicksFromStat(stat), 300);
  assert.equal(rssFromStatus('Name:\tnode\nVmRSS:\t   51200 kB\n'), 51200 * 1024);
});

test('scale arguments: service=count pairs; anything else is a usage error naming it', () => {
  assert.deepEqual(parseScaleArgs(['orders=3', 'users=0'], ['orders', 'users']), { orders: 3, users: 0 });
  for (const bad of [['orders'], ['orders=x'], ['nope=1'], ['orders=51'], []]) {
    assert.throws(() => parseScaleArgs(bad, ['orders', 'users']), (error: unknown) => error instanceof CliError && error.exitCode === 2, bad.join(' '));
  }
});

test('msx token signs what the gateway verifies: type user, sub, scope, issuer, audience', async () => {
  const secret = 's'.repeat(48);
  const { token, expiresAt } = signUserToken({ sub: 'alice', scopes: ['orders:read', 'orders:write'], ttlSeconds: 600, issuer: 'shop', audience: 'shop-api', secret });
  const verifier = createUserTokenVerifier({ algorithms: ['HS256'], secret, issuer: 'shop', audience: 'shop-api' });
  const identity = await verifier.verify(token);
  assert.equal(identity.sub, 'alice');
  assert.deepEqual(identity.scopes, ['orders:read', 'orders:write']);
  assert.equal(identity.exp, expiresAt);
  await assert.rejects(createUserTokenVerifier({ algorithms: ['HS256'], secret: 'o'.repeat(48) }).verify(token));
});

test('logs -f prints lines appended later, including files of instances started later', { timeout: 10_000 }, async () => {
  const { appendFileSync, mkdirSync, mkdtempSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { localPaths } = await import('../../src/targets/local/local-paths.js');
  const { readLogs } = await import('../../src/targets/local/log-reader.js');
  const root = mkdtempSync(join(tmpdir(), 'msx-follow-'));
  const paths = localPaths(root);
  mkdirSync(paths.logsDir, { recursive: true });
  const line = (msg: string) => `${JSON.stringify({ level: 'info', time: Date.now(), msg })}\n`;
  appendFileSync(paths.logFile('users-1'), line('old'));
  const abort = new AbortController();
  const seen: string[] = [];
  const query = { sources: [], follow: true, since: undefined, minLevel: undefined, grep: undefined, trace: undefined, tail: undefined };
  const reading = readLogs(paths, query, (entry) => seen.push(`${entry.instance}:${entry.msg}`), abort.signal);
  try {
    await new Promise((r) => setTimeout(r, 400));
    appendFileSync(paths.logFile('users-1'), line('new'));
    appendFileSync(paths.logFile('orders-2'), line('scaled'));
    const deadline = Date.now() + 5000;
    while (seen.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  } finally {
    abort.abort();
    await reading;
    rmSync(root, { recursive: true, force: true });
  }
  assert.deepEqual(seen.sort(), ['orders-2:scaled', 'users-1:new', 'users-1:old']);
});
