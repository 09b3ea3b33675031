import type { z } from 'zod';
import { didYouMean, type Diagnostic } from './diagnostic.js';

/**
 * Turns zod issues into messages a person can act on: what is wrong with which
 * key, and how to fix it. `known` lists the valid keys of the object at a path,
 * for did-you-mean suggestions on unknown keys.
 */
export function zodIssuesToDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  knownKeysAt: (path: readonly PropertyKey[]) => readonly string[],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    switch (issue.code) {
      case 'unrecognized_keys': {
        const known = knownKeysAt(path);
        for (const key of issue.keys) {
          const suggestion = didYouMean(key, known);
          out.push({
            path: [...path, key],
            atKey: true,
            message: `unknown key "${key}"`,
            hint: suggestion ? `did you mean "${suggestion}"?` : known.length ? `allowed keys: ${known.join(', ')}` : undefined,
          });
        }
        break;
      }
      case 'invalid_type': {
        const input = (issue as { input?: unknown }).input;
        if (input === undefined) {
          const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
          out.push({ path, message: `is missing (${expected})`, hint: REQUIRED_EXAMPLES[path.join('.')] ?? `add "${String(path.at(-1))}:" with ${article(expected)} value`, atKey: false });
        } else {
          out.push({ path, message: `must be ${article(issue.expected)}, got ${describe(input)}` });
        }
        break;
      }
      case 'invalid_union': {
        const discriminator = (issue as { discriminator?: string }).discriminator;
        const input = (issue as { input?: unknown }).input;
        if (discriminator) {
          const tag = input && typeof input === 'object' ? (input as Record<string, unknown>)[discriminator] : undefined;
          const allowed = ['http', 'worker', 'gateway'];
          const suggestion = typeof tag === 'string' ? didYouMean(tag, allowed) : undefined;
          out.push({
            path: path.at(-1) === discriminator ? path : [...path, discriminator],
            message: tag === undefined ? `${discriminator} is missing` : `${discriminator} ${JSON.stringify(tag)} is not one msx knows`,
            hint: suggestion ? `did you mean "${suggestion}"? (one of: ${allowed.join(', ')})` : `${discriminator} must be one of: ${allowed.join(', ')}`,
          });
        } else {
          out.push({ path, message: issue.message });
        }
        break;
      }
      case 'invalid_value': {
        const input = (issue as { input?: unknown }).input;
        const allowed = issue.values.map((v) => JSON.stringify(v)).join(', ');
        if (input === undefined) {
          out.push({ path, message: 'is missing', hint: REQUIRED_EXAMPLES[path.join('.')] ?? `add "${String(path.at(-1))}:" with one of: ${allowed}` });
        } else {
          out.push({ path, message: `${describe(input)} is not allowed`, hint: `use one of: ${allowed}` });
        }
        break;
      }
      case 'invalid_key': {
        const key = (issue as { input?: unknown }).input;
        const inner = issue.issues[0]?.message ?? 'is not a valid name';
        out.push({ path: [...path], atKey: true, message: `name "${String(key)}" ${inner}` });
        break;
      }
      default: {
        const input = (issue as { input?: unknown }).input;
        const shown = input === undefined || typeof input === 'object' ? '' : `, got ${describe(input)}`;
        out.push({ path, message: `${issue.message}${shown}` });
      }
    }
  }
  return out;
}

/** zod's names for types, in the words msx.yaml's readers use. */
const TYPE_WORDS: Record<string, string> = { record: 'mapping', object: 'mapping', array: 'list' };

/** What to write for a missing top-level key, so `{}` is answered with a manifest to start from. */
const REQUIRED_EXAMPLES: Record<string, string> = {
  version: 'add "version: 1" (the only manifest version so far)',
  name: 'add "name: <system name>", a DNS label such as "demo"',
  services: 'add "services:" with at least a gateway and one service (msx new writes a complete msx.yaml)',
};

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return `${typeof value} ${String(value)}`;
}
