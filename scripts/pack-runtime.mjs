#!/usr/bin/env node
// Packs the built runtime into vendor/msx-runtime-<version>.tgz. `msx new`
// copies that tarball into every generated system, which depends on it as a
// local file: the system builds without any unpublished package, and
// `msx upgrade` can later swap the tarball without touching user code.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const vendor = join(process.cwd(), 'vendor');
mkdirSync(vendor, { recursive: true });
for (const old of readdirSync(vendor)) if (old.startsWith('msx-runtime-')) rmSync(join(vendor, old));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const result = spawnSync(npm, ['pack', '--silent', '--pack-destination', vendor], {
  cwd: join(process.cwd(), 'runtime'),
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
});
if (result.status !== 0) process.exit(result.status ?? 1);
console.log(`runtime packed: vendor/${result.stdout.trim().split('\n').pop()}`);
