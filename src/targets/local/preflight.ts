import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../manifest/schema.js';
import { findPortHolder, PortInUseError } from './port-holder.js';
import { isPortFree } from './port-probe.js';
import { initialInstances } from './start-plan.js';

/** A service has no build output to run. */
export class NotBuiltError extends Error {
  override readonly name = 'NotBuiltError';
  constructor(readonly services: readonly string[], readonly missingDependencies: boolean) {
    super(missingDependencies ? 'the system\'s dependencies are not installed' : `not built: ${services.join(', ')}`);
  }
}

/** The file `node` runs for a service, relative to the system folder. */
export function serviceEntry(service: string): string {
  return join('services', service, 'dist', 'src', 'main.js');
}

/**
 * Checks what would make `up` fail half-way, before anything starts: the
 * dependencies are installed, every service is built, and the ports msx.yaml
 * gives are free (naming the process that holds one, when it can).
 */
export async function preflight(root: string, manifest: Manifest, services: readonly string[]): Promise<void> {
  if (!existsSync(join(root, 'node_modules'))) throw new NotBuiltError(services, true);
  const unbuilt = services.filter((s) => !existsSync(join(root, serviceEntry(s))));
  if (unbuilt.length > 0) throw new NotBuiltError(unbuilt, false);
  for (const service of services) {
    for (const instance of initialInstances(manifest, service)) {
      if (!(await isPortFree(instance.port))) throw new PortInUseError(instance.port, instance.id, findPortHolder(instance.port));
    }
  }
}
