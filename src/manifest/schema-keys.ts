import type { z } from 'zod';

type AnySchema = z.ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  valueType?: AnySchema;
  element?: AnySchema;
  options?: AnySchema[];
  discriminator?: string;
  in?: AnySchema;
}

const defOf = (schema: AnySchema): Def => (schema as unknown as { def: Def }).def;

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    if ((def.type === 'default' || def.type === 'optional' || def.type === 'prefault' || def.type === 'nullable') && def.innerType) current = def.innerType;
    else if (def.type === 'pipe' && def.in) current = def.in;
    else return current;
  }
}

/**
 * The keys a strict object accepts at `path` inside `schema`, following the
 * document's own data through records, arrays and discriminated unions (so a
 * gateway's keys are offered for a gateway, an http service's for one).
 */
export function knownKeysAt(schema: AnySchema, data: unknown, path: readonly PropertyKey[]): string[] {
  let current: AnySchema | undefined = schema;
  let value: unknown = data;
  for (const key of [...path, undefined]) {
    if (!current) return [];
    current = unwrap(current);
    const def = defOf(current);
    if (def.type === 'union' && def.options) {
      const discriminator = def.discriminator;
      const tag = discriminator && value && typeof value === 'object' ? (value as Record<string, unknown>)[discriminator] : undefined;
      const match = def.options.find((option) => {
        const shape = defOf(unwrap(option)).shape;
        const literal = shape && discriminator ? defOf(shape[discriminator]!) as Def & { values?: unknown[] } : undefined;
        return literal?.values?.includes(tag);
      });
      if (!match) {
        // Unknown kind: offer the keys of every kind.
        if (key === undefined) return [...new Set(def.options.flatMap((o) => Object.keys(defOf(unwrap(o)).shape ?? {})))];
        return [];
      }
      current = unwrap(match);
    }
    if (key === undefined) return Object.keys(defOf(current).shape ?? {});
    const d = defOf(current);
    if (d.type === 'object') current = d.shape?.[String(key)];
    else if (d.type === 'record') current = d.valueType;
    else if (d.type === 'array') current = d.element;
    else return [];
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
  }
  return [];
}
