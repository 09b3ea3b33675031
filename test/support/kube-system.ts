import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApiDouble } from './kube-api-double.js';
import { msx, type MsxResult, tempDir, userEnv } from './msx.js';

/** A small system on disk (msx.yaml, .env, service sources) and an API double with a kubeconfig for it. */
export interface KubeSystem {
  readonly dir: string;
  readonly double: KubeApiDouble;
  readonly env: Record<string, string>;
  /** Runs msx in the system folder with KUBECONFIG pointing at the double. */
  run(args: readonly string[]): Promise<MsxResult>;
  writeManifest(services: Record<string, string>): void;
  cleanup(): Promise<void>;
}

export async function kubeSystem(services: Record<string, string>): Promise<KubeSystem> {
  const { dir, cleanup } = tempDir('msx-k8s-');
  const double = await KubeApiDouble.start();
  const env = userEnv({ KUBECONFIG: double.writeKubeconfig(join(dir, '.kube')), HOME: dir });
  const writeManifest = (list: Record<string, string>) => {
    const lines = ['version: 1', 'name: shop', 'services:', ...Object.entries(list).map(([name, spec]) => `  ${name}: ${spec}`)];
    writeFileSync(join(dir, 'msx.yaml'), `${lines.join('\n')}\n`);
    for (const name of Object.keys(list)) {
      mkdirSync(join(dir, 'services', name, 'src'), { recursive: true });
      writeFileSync(join(dir, 'services', name, 'src', 'index.ts'), `export const name = '${name}';\n`);
    }
  };
  writeManifest(services);
  writeFileSync(join(dir, '.env'), 'JWT_SECRET=test-secret-value\nMSX_SERVICE_TOKEN_SECRET=another\nGATEWAY_IDENTITY_SECRET=third\nORDERS_DB_PASSWORD=db-password\n');
  return {
    dir,
    double,
    env,
    run: (args) => msx(args, { cwd: dir, env }),
    writeManifest,
    cleanup: async () => {
      await double.close();
      cleanup();
    },
  };
}

/** {@link kubeSystem}, then `msx deploy` to the double; a failed deploy cleans up and throws with msx's stderr. */
export async function deployedKubeSystem(services: Record<string, string>): Promise<KubeSystem> {
  const system = await kubeSystem(services);
  const result = await system.run(['deploy']);
  if (result.exitCode !== 0) {
    await system.cleanup();
    throw new Error(`deploy failed: ${result.stderr}`);
  }
  return system;
}
