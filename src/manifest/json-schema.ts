import { z } from 'zod';
import { manifestSchema } from './schema.js';

/** The JSON Schema of msx.yaml (input side: defaults are optional), for editors. */
export function manifestJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(manifestSchema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    ...schema,
    $id: 'https://msx.dev/schema/msx.yaml.json',
    title: 'msx system manifest (msx.yaml)',
  };
}
