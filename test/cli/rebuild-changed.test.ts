import assert from 'node:assert/strict';
import { test } from 'node:test';
import { servicesToRebuild } from '../../src/commands/rebuild-changed.js';
import type { OwnedFileChange } from '../../src/scaffold/owned-files.js';

const change = (path: string): OwnedFileChange => ({ path, content: '', role: 'test', source: 'msx.yaml', change: 'updated' });

test('msx up rebuilds the services whose compiled code an msx-owned change reaches, not the gateway (handed its config at start)', () => {
  assert.deepEqual(
    servicesToRebuild([
      change('services/orders/src/events.generated.ts'),
      change('services/users/src/events.generated.ts'),
      change('services/orders/src/events.generated.ts'),
      change('services/gateway/src/gateway.generated.ts'),
      change('msx.schema.json'),
    ]),
    ['orders', 'users'],
  );
});
