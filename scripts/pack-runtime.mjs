#!/usr/bin/env node
// Packs the built runtime into vendor/msx-runtime-<version>.tgz. `msx new`
// copies that tarball into every generated system, which depends on it as a
// local file: the system builds without any unpublished package, and
// `msx upgrade` can later swap the tarball without touching user code.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
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
// The file name carries a hash of the content: a system's lockfile pins the
// tarball by name, so a rebuilt runtime must get a new name to be installed.
const packed = result.stdout.trim().split('\n').pop();
const hash = createHash('sha256').update(readFileSync(join(vendor, packed))).digest('hex').slice(0, 10);
const named = packed.replace(/\.tgz$/, `-${hash}.tgz`);
renameSync(join(vendor, packed), join(vendor, named));
console.log(`runtime packed: vendor/${named}`);
