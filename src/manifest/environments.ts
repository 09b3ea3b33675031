import type { Diagnostic } from './diagnostic.js';
import type { Manifest, TargetName } from './schema.js';

/**
 * Environments (`environments:` in msx.yaml): named sets of overrides such
 * as dev, staging and prod. An environment is applied to the manifest's
 * data before it is validated, so the result is checked exactly like a
 * manifest written out by hand, and every command that reads msx.yaml sees
 * the same resolved system.
 */

/** The variable `--env` is passed on in, so processes msx starts (the local supervisor) resolve the same environment. */
export const ENVIRONMENT_VARIABLE = 'MSX_ENV';

/** The environment asked for on this run: `--env` (which the CLI puts into MSX_ENV), or MSX_ENV from the shell. */
export function requestedEnvironment(): string | undefined {
  return process.env[ENVIRONMENT_VARIABLE] || undefined;
}

/** The git-ignored file an environment's secrets are read from (and generated into): `.env.<environment>`, or `.env` without one. */
export function secretsFileName(environment: string | undefined): string {
  return environment === undefined ? '.env' : `.env.${environment}`;
}

type Data = Record<string, unknown>;

const isMap = (value: unknown): value is Data => value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * The manifest's raw data with environment `name` applied: its services'
 * overrides and its infrastructure merged in (maps merge key by key, lists
 * and values replace), its target replacing the manifest's.
 */
export function applyEnvironment(data: Data, name: string): Data {
  const environment = (data.environments as Data)[name] as Data;
  const merged: Data = { ...data };
  if (typeof environment.target === 'string') merged.target = environment.target;
  if (isMap(environment.services)) merged.services = deepMerge(data.services, environment.services);
  if (isMap(environment.infrastructure)) merged.infrastructure = deepMerge(data.infrastructure ?? {}, environment.infrastructure);
  return merged;
}

function deepMerge(base: unknown, override: unknown): unknown {
  if (!isMap(base) || !isMap(override)) return override;
  const out: Data = { ...base };
  for (const [key, value] of Object.entries(override)) out[key] = key in base ? deepMerge(base[key], value) : value;
  return out;
}

/**
 * Where a problem found in the merged manifest was written: at the
 * environment's key when the environment set the value (or a map it sits
 * in), else where it was, noting which environment made it a problem.
 */
export function locateInEnvironment(diagnostic: Diagnostic, data: Data, name: string): Diagnostic {
  const environment = (data.environments as Data)[name] as Data;
  const path = diagnostic.path;
  // services.<name> itself is never an override (only keys below it are): start one level deeper there.
  const shortest = path[0] === 'services' ? 3 : path[0] === 'infrastructure' ? 2 : 1;
  for (let depth = path.length; depth >= shortest; depth--) {
    if (hasPath(environment, path.slice(0, depth))) return { ...diagnostic, path: ['environments', name, ...path] };
  }
  return { ...diagnostic, message: `${diagnostic.message} (with environment "${name}" applied)` };
}

function hasPath(data: unknown, path: readonly (string | number)[]): boolean {
  let current = data;
  for (const key of path) {
    if (!isMap(current) || !(String(key) in current)) return false;
    current = current[String(key)];
  }
  return true;
}

/**
 * The environment used on `target` when --env is not given: the one
 * environment whose target it is, or the one of several marked `default`.
 */
export function defaultEnvironment(environments: Readonly<Record<string, { target?: string | undefined; default?: boolean | undefined }>>, target: string): string | undefined {
  const candidates = Object.entries(environments).filter(([, spec]) => spec.target === target);
  if (candidates.length === 1 && candidates[0]![1].default !== false) return candidates[0]![0];
  return candidates.find(([, spec]) => spec.default === true)?.[0];
}

/** Rules across environments: overrides of services that exist, one default per target. */
export function environmentChecks(manifest: Manifest): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const services = Object.keys(manifest.services);
  const defaults = new Map<TargetName, string>();
  for (const [name, environment] of Object.entries(manifest.environments)) {
    for (const service of Object.keys(environment.services)) {
      if (services.includes(service)) continue;
      problems.push({
        path: ['environments', name, 'services', service],
        atKey: true,
        message: `overrides service "${service}", which msx.yaml does not define`,
        hint: `services: ${services.join(', ')}`,
      });
    }
    if (environment.default === true && environment.target === undefined) {
      problems.push({ path: ['environments', name, 'default'], message: 'an environment is the default of its target: set target too', hint: 'e.g. target: kubernetes' });
    }
    if (environment.default === true && environment.target !== undefined) {
      const other = defaults.get(environment.target);
      if (other !== undefined) {
        problems.push({
          path: ['environments', name, 'default'],
          message: `"${other}" is already the default environment on ${environment.target}`,
          hint: `mark one environment per target default: true; the other is then chosen with --env ${name}`,
        });
      }
      defaults.set(environment.target, name);
    }
  }
  return problems;
}
