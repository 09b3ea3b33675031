import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { execa } from 'execa';
import { parseDocument } from 'yaml';
import { freePort } from './free-port.js';
import { LocalSystem } from './local-system.js';
import { msx, REPO_ROOT, tempDir, userEnv } from './msx.js';
import { parseEnvFile } from '../../src/scaffold/secrets.js';
import { installAndBuild } from './install-system.js';

export const SHOP_SERVICES = ['gateway', 'users', 'products', 'payments', 'orders', 'notifications'] as const;
export type ShopService = (typeof SHOP_SERVICES)[number];

/** A generated shop in a temporary folder, on free ports, installed and built (not started). */
export interface ShopSystem {
  readonly root: string;
  readonly gatewayUrl: string;
  /** Each service's own port, from msx.yaml. */
  readonly ports: Readonly<Record<ShopService, number>>;
  readonly system: LocalSystem;
  /** Runs msx in the shop; fails the test on a non-zero exit. Returns stdout. */
  run(args: string[]): Promise<string>;
  /** The system's `.env` (its generated secrets). */
  secrets(): Record<string, string>;
  /** msx down, kill anything left, remove the folder. */
  cleanup(): Promise<void>;
}

/**
 * A shop in a temporary folder, every port moved to a free one so the test
 * never collides with anything on the machine, installed and built.
 *
 * By default it is a copy of one shop that `msx new --example shop`, npm
 * install and npm run build made once for this build of msx (its templates,
 * runtime tarball and CLI: {@link builtShop}); the ports are then changed in
 * msx.yaml, which is what a user may do at any time (msx up hands each
 * instance its port from msx.yaml). Installing and building six services
 * took a minute or more of both cores per test file. `fresh: true` does the
 * whole path a user takes instead, for the tests that are about it.
 */
export async function createShop(prefix = 'msx-shop-', options: { fresh?: boolean } = {}): Promise<ShopSystem> {
  const temp = tempDir(prefix);
  const root = join(temp.dir, 'shop');
  if (options.fresh) {
    await newShop(temp.dir);
    await installAndBuild(root);
  } else {
    await execa('cp', ['-a', await builtShop(), root]);
  }
  const file = join(root, 'msx.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const ports = {} as Record<ShopService, number>;
  for (const name of SHOP_SERVICES) {
    ports[name] = await freePort();
    doc.setIn(['services', name, 'port'], ports[name]);
  }
  writeFileSync(file, doc.toString());
  const system = new LocalSystem(root);
  return {
    root,
    gatewayUrl: `http://127.0.0.1:${ports.gateway}`,
    ports,
    system,
    async run(args) {
      const result = await msx(args, { cwd: root, env: userEnv() });
      assert.equal(result.exitCode, 0, `msx ${args.join(' ')}: ${result.stderr}`);
      return result.stdout;
    },
    secrets: () => parseEnvFile(readFileSync(join(root, '.env'), 'utf8')),
    async cleanup() {
      await msx(['down'], { cwd: root, env: userEnv() }).catch(() => undefined);
      system.killLeftovers();
      temp.cleanup();
    },
  };
}

async function newShop(dir: string): Promise<void> {
  const created = await msx(['new', 'shop', '--example', 'shop', '--yes'], { cwd: dir });
  assert.equal(created.exitCode, 0, created.stderr);
}

/** What makes one built shop differ from another: the templates, the runtime tarball and the built CLI. */
function buildInputsHash(): string {
  const hash = createHash('sha256');
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) hash.update(relative(REPO_ROOT, path)).update(readFileSync(path));
    }
  };
  for (const dir of ['templates', 'vendor', 'dist']) walk(join(REPO_ROOT, dir));
  return hash.digest('hex').slice(0, 16);
}

let building: Promise<string> | undefined;

/**
 * The folder of a shop made with `msx new --example shop`, installed and
 * built, kept under the temporary folder for this build of msx and shared
 * by every test file of the run (and the next run, while nothing changed).
 * Made in a folder of its own and renamed into place, so a test file that
 * asks while another makes it never copies half a shop.
 */
export function builtShop(): Promise<string> {
  building ??= (async () => {
    const cache = join(tmpdir(), 'msx-test-shops');
    const ready = join(cache, buildInputsHash());
    if (existsSync(join(ready, 'shop', 'msx.yaml'))) return join(ready, 'shop');
    mkdirSync(cache, { recursive: true });
    const partial = mkdtempSync(join(cache, 'partial-'));
    await newShop(partial);
    await installAndBuild(join(partial, 'shop'));
    try {
      renameSync(partial, ready);
    } catch {
      // Another test file made it meanwhile: use theirs.
      rmSync(partial, { recursive: true, force: true });
    }
    // Shops of earlier builds of msx are never used again (a partial one may be another test file's, in the making).
    for (const old of readdirSync(cache)) {
      if (join(cache, old) !== ready && !old.startsWith('partial-')) rmSync(join(cache, old), { recursive: true, force: true });
    }
    return join(ready, 'shop');
  })();
  return building;
}
