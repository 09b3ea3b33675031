import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { freePort } from './free-port.js';
import { LocalSystem } from './local-system.js';
import { msx, tempDir, userEnv } from './msx.js';
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
 * msx new --example shop, every port moved to a free one so the test never
 * collides with anything on the machine, npm install and npm run build.
 */
export async function createShop(prefix = 'msx-shop-'): Promise<ShopSystem> {
  const temp = tempDir(prefix);
  const root = join(temp.dir, 'shop');
  const created = await msx(['new', 'shop', '--example', 'shop', '--yes'], { cwd: temp.dir });
  assert.equal(created.exitCode, 0, created.stderr);
  const file = join(root, 'msx.yaml');
  const doc = parseDocument(readFileSync(file, 'utf8'));
  const ports = {} as Record<ShopService, number>;
  for (const name of SHOP_SERVICES) {
    ports[name] = await freePort();
    doc.setIn(['services', name, 'port'], ports[name]);
  }
  writeFileSync(file, doc.toString());
  await installAndBuild(root);
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
