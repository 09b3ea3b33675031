/**
 * The strict half of validation: fields the Kubernetes schema does not
 * know. kubernetes-models' validators are compiled from the OpenAPI
 * definitions without `additionalProperties: false`, so they accept any
 * extra key; the API server then drops it silently (or, with
 * `fieldValidation=Strict`, refuses the whole apply).
 *
 * Rather than keep a second copy of the definitions, this asks the
 * validators themselves: while an object is validated, every read of a
 * property is recorded (a compiled schema reads each property it defines,
 * and iterates the keys of maps such as labels). A key present in the
 * object but never read by its schema is one the schema does not have.
 * The test suite pins this with typos at several depths.
 */
export const unknownFields = {
  /** A view of `value` that records, per object, which keys were read. */
  track(value: unknown): { value: unknown; reads: WeakMap<object, Set<string>> } {
    const reads = new WeakMap<object, Set<string>>();
    return { value: watch(value, reads), reads };
  },

  /** JSON pointers of the keys of `value` its schema never read. */
  report(value: unknown, reads: WeakMap<object, Set<string>>): string[] {
    const found: string[] = [];
    walk(value, '', reads, found);
    return found;
  },
};

function watch(value: unknown, reads: WeakMap<object, Set<string>>): unknown {
  if (value === null || typeof value !== 'object') return value;
  let keys = reads.get(value);
  if (!keys) reads.set(value, (keys = new Set()));
  const seen = keys;
  return new Proxy(value, {
    get(target, key, receiver) {
      if (typeof key === 'string') seen.add(key);
      return watch(Reflect.get(target, key, receiver), reads);
    },
    has(target, key) {
      if (typeof key === 'string') seen.add(key);
      return Reflect.has(target, key);
    },
  });
}

function walk(value: unknown, path: string, reads: WeakMap<object, Set<string>>, found: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const keys = reads.get(value);
  // Never reached by the schema at all: its parent key is the one reported.
  if (!keys) return;
  for (const [key, child] of Object.entries(value)) {
    const childPath = `${path}/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (Array.isArray(value) || keys.has(key)) walk(child, childPath, reads, found);
    else found.push(childPath);
  }
}
