import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBus, type EventBus } from '../../src/bus/index.js';
import { busContract, type BusFixture } from './contract.js';

busContract('embedded (SQLite)', async (): Promise<BusFixture> => {
  const dataDir = await mkdtemp(join(tmpdir(), 'msx-bus-'));
  const open = new Set<EventBus>();
  return {
    async open(service, options = {}) {
      const bus = await createBus({ service, url: 'embedded', dataDir, pollIntervalMs: 10, ...options });
      open.add(bus);
      return bus;
    },
    name: (base) => base,
    async cleanup() {
      await Promise.all([...open].map((bus) => bus.close()));
      await rm(dataDir, { recursive: true, force: true });
    },
  };
});
