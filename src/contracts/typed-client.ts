import type { JsonSchema, OpenApiDocument, OpenApiOperation } from '@msx/runtime/contract';

/** Where a caller's typed client for `callee` lives, relative to the caller's folder. */
export function typedClientFile(callee: string): string {
  return `src/clients/${callee}.generated.ts`;
}

/** `order-history` → `orderHistory`. */
function camel(name: string): string {
  return name.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function pascal(name: string): string {
  const c = camel(name);
  return c.charAt(0).toUpperCase() + c.slice(1);
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;

interface TypeDeclaration {
  readonly name: string;
  readonly schema: JsonSchema;
}

/**
 * The TypeScript module of a typed client for `callee`, generated from its
 * OpenAPI document: for each operation an input type (path and query
 * parameters as fields, the body under `body`), a result type (each
 * declared success and 4xx as a discriminated union on `ok` and `status`),
 * and a method that calls it through the resilient client (whose options
 * take a `fallback` typed as the success body). A field the
 * callee drops from a response disappears from these types, so the caller's
 * `tsc` fails where it reads the field — at build time, not at run time.
 */
export async function typedClientModule(callee: string, document: OpenApiDocument): Promise<string> {
  const { compile } = await import('json-schema-to-typescript');
  const declarations: TypeDeclaration[] = [];
  const members: string[] = [];
  const implementations: string[] = [];
  const typeOf = (name: string, schema: JsonSchema | undefined): string => {
    if (schema === undefined) return 'undefined';
    declarations.push({ name, schema });
    return name;
  };

  for (const [path, item] of Object.entries(document.paths)) {
    for (const method of METHODS) {
      const operation = item[method] as OpenApiOperation | undefined;
      if (operation === undefined) continue;
      const id = operation.operationId;
      const Type = pascal(id);
      const parameters = operation.parameters ?? [];
      const inputFields = parameters.map((p) => `  ${JSON.stringify(p.name)}${p.required ? '' : '?'}: ${typeOf(`${Type}${pascal(p.name)}Parameter`, p.schema)};`);
      const body = operation.requestBody?.content['application/json']?.schema;
      if (body !== undefined) inputFields.push(`  body: ${typeOf(`${Type}Body`, body)};`);
      const outcomes: string[] = [];
      const successBodies: string[] = [];
      const errorStatuses: number[] = [];
      for (const [status, response] of Object.entries(operation.responses)) {
        const code = Number(status);
        const json = response.content?.['application/json']?.schema;
        if (code >= 200 && code < 300) {
          const successBody = json ? typeOf(`${Type}Response${code}`, json) : 'undefined';
          successBodies.push(successBody);
          outcomes.push(`OperationSuccess<${code}, ${successBody}>`);
        } else if (code >= 400 && code < 500 && code !== 401) {
          // 401 means this service is not allowed to call: a misconfiguration, thrown like a 5xx.
          errorStatuses.push(code);
          outcomes.push(json ? `OperationRefusal<${code}, ${typeOf(`${Type}Response${code}`, json)}>` : `OperationProblem<${code}>`);
        }
      }
      const input = inputFields.length > 0 ? `${Type}Input` : undefined;
      if (input) declarations.push({ name: input, schema: { tsType: `{\n${inputFields.join('\n')}\n}` } });
      const result = `${Type}Result`;
      declarations.push({ name: result, schema: { tsType: outcomes.join(' | ') || 'never' } });
      const doc = [operation.summary, operation.description].filter(Boolean).join(' — ');
      members.push(`${doc ? `  /** ${method.toUpperCase()} ${path}: ${doc} */\n` : `  /** ${method.toUpperCase()} ${path} */\n`}  ${id}(${input ? `input: ${input}` : 'input?: Record<string, never>'}, options?: CallOptions<${successBodies.join(' | ') || 'never'}>): Promise<${result}>;`);
      const route = {
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        hasBody: body !== undefined,
        errorStatuses,
      };
      implementations.push(`    ${id}: (input, options) => callOperation(client, ${JSON.stringify(callee)}, ${JSON.stringify(route)}, input, options),`);
    }
  }

  const types: string[] = [];
  for (const { name, schema } of declarations) {
    if (typeof schema.tsType === 'string' && Object.keys(schema).length === 1) {
      types.push(`export type ${name} = ${schema.tsType};`);
      continue;
    }
    const compiled = await compile({ ...schema, title: undefined } as never, name, {
      bannerComment: '',
      format: false,
      additionalProperties: false,
      declareExternallyReferenced: true,
      strictIndexSignatures: true,
      unknownAny: true,
    });
    types.push(indented(compiled.trim()));
  }
  const Client = `${pascal(callee)}Client`;
  return [
    `// Generated by msx from the contract of ${callee} (services/${callee}/src/contract.ts). Do not edit:`,
    '// msx generate, msx up and msx build rewrite it when that contract changes. A field the contract drops',
    '// disappears here too, and the compiler shows every place this service still reads it.',
    "import type { CallOptions, ServiceClient } from '@msx/runtime/client';",
    "import { callOperation, type OperationProblem, type OperationRefusal, type OperationSuccess } from '@msx/runtime/contract';",
    '',
    ...types.flatMap((t) => [t, '']),
    `/** The operations of ${callee}, typed from its contract. */`,
    `export interface ${Client} {`,
    ...members,
    '}',
    '',
    `/** The typed client of ${callee} over this service's resilient client: \`${camel(callee)}Client(client).${firstOperation(document) ?? 'operation'}(…)\`. */`,
    `export function ${camel(callee)}Client(client: ServiceClient): ${Client} {`,
    '  return {',
    ...implementations,
    '  };',
    '}',
    '',
  ].join('\n');
}

/** json-schema-to-typescript leaves members unindented without prettier (which msx does not load for speed). */
function indented(code: string): string {
  let depth = 0;
  return code
    .split('\n')
    .map((line) => {
      const text = line.trim();
      if (text.startsWith('}')) depth = Math.max(0, depth - 1);
      const out = `${'  '.repeat(depth)}${text}`;
      depth = Math.max(0, depth + (text.match(/\{/g)?.length ?? 0) - (text.match(/\}/g)?.length ?? 0) + (text.startsWith('}') ? 1 : 0));
      return out;
    })
    .join('\n');
}

function firstOperation(document: OpenApiDocument): string | undefined {
  for (const item of Object.values(document.paths)) for (const method of METHODS) if (item[method]) return item[method]!.operationId;
  return undefined;
}
