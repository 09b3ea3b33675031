/**
 * Values in a compose file are interpolated by compose: `${NAME}` is read
 * from the shell or the project's `.env` when compose runs, and a literal
 * `$` must be written `$$`. Every value msx renders goes through one of
 * these two functions, so a secret is only ever referenced, never copied,
 * and a `$` in msx.yaml reaches the service unchanged.
 */

/** A value taken as it is: `$` escaped so compose does not interpolate it. */
export function literal(value: string): string {
  return value.replaceAll('$', () => '$$');
}

/**
 * A reference to a variable of the system's `.env`, which compose resolves
 * when it starts the containers; compose refuses to start (naming the
 * variable) when it is missing, rather than starting a service without its
 * secret. The message must not contain `}`.
 */
export function required(variable: string): string {
  return `\${${variable}:?is not set: run msx render compose to generate it into .env}`;
}

/** A reference to a variable the user must set in `.env` (msx cannot generate it); compose refuses to start with `why` when it is missing. */
export function requiredUserVariable(variable: string, why: string): string {
  if (why.includes('}')) throw new Error('requiredUserVariable: the message must not contain }');
  return `\${${variable}:?${why}}`;
}

/** A reference to a variable that may be absent (a user's own `.env` entry). */
export function optional(variable: string): string {
  return `\${${variable}:-}`;
}

/** The names of the variables a rendered value references, for tests and for checks against `.env`. */
export function referencedVariables(value: string): string[] {
  const names: string[] = [];
  for (const match of value.replaceAll('$$', '').matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) names.push(match[1]!);
  return names;
}
