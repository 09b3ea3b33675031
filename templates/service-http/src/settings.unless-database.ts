import { defineConfig, z } from '@msx/runtime/config';

// This service's own settings, declared once. Each comes from the
// environment or, where the system runs Consul, its KV store: the key
// msx/<system>/<service>/MAX_ITEMS (or msx/<system>/_shared/MAX_ITEMS for
// every service). The environment wins; a change in Consul applies while
// running. A bad value stops the start with exit code 78, naming the key.
export const serviceSettings = defineConfig({
  // Items are held in memory: a cap keeps a busy instance from growing without bound.
  MAX_ITEMS: z.coerce.number().int().positive().default(10_000),
});
