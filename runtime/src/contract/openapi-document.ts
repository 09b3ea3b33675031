import { z } from 'zod';
import { IDENTITY_HEADER } from '../auth/gateway-identity.js';
import { isProblemResponse, openApiPath, pathParameters, type Contract, type RouteSpec } from './route-contract.js';
import type { JsonSchema, OpenApiDocument, OpenApiOperation, OpenApiParameter, OpenApiResponse } from './openapi-types.js';

/** Where the kit serves a service's document (and the gateway its own). */
export const OPENAPI_PATH = '/openapi.json';

export const PROBLEM_SCHEMA_REF = '#/components/schemas/Problem';

/** RFC 9457 problem details, as every msx service and the gateway answer errors. */
export const PROBLEM_SCHEMA: JsonSchema = {
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    errors: {
      type: 'array',
      description: 'every invalid field, on a 400 from validation',
      items: {
        type: 'object',
        properties: { pointer: { type: 'string' }, field: { type: 'string' }, detail: { type: 'string' } },
        required: ['pointer', 'field', 'detail'],
      },
    },
  },
  required: ['type', 'title', 'status'],
};

const STATUS_TEXT: Readonly<Record<string, string>> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required',
  403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Content', 429: 'Too Many Requests', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
};

export function statusText(status: string | number): string {
  return STATUS_TEXT[String(status)] ?? `HTTP ${status}`;
}

/** A problem+json response object. */
export function problemResponse(description: string, headers?: OpenApiResponse['headers']): OpenApiResponse {
  return { description, ...(headers ? { headers } : {}), content: { 'application/problem+json': { schema: { $ref: PROBLEM_SCHEMA_REF } } } };
}

/**
 * The JSON Schema of a zod schema, as a request (`input`: what a caller may
 * send, before transforms) or a response (`output`: what the service
 * answers). Refinements cannot be described and are left out; the schema
 * still enforces them at run time.
 */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-2020-12', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query', names?: readonly string[]): OpenApiParameter[] {
  if (schema === undefined) {
    return (names ?? []).map((name) => ({ name, in: where, required: true, schema: { type: 'string' } }));
  }
  const json = jsonSchemaOf(schema, 'input');
  const properties = (json.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json.required ?? []) as string[]);
  const list = names ?? Object.keys(properties);
  return list.map((name) => {
    const { description, ...property } = properties[name] ?? { type: 'string' };
    return { name, in: where, required: where === 'path' || required.has(name), ...(typeof description === 'string' ? { description } : {}), schema: property };
  });
}

function operation(service: string, id: string, route: RouteSpec): OpenApiOperation {
  const parameters = [...objectParameters(route.params, 'path', pathParameters(route.path)), ...objectParameters(route.query, 'query')];
  const responses: Record<string, OpenApiResponse> = {};
  for (const [status, spec] of Object.entries(route.responses)) {
    if (isProblemResponse(spec)) responses[status] = problemResponse(spec.description);
    else {
      const description = spec.description ?? statusText(status);
      responses[status] = status === '204' ? { description } : { description, content: { 'application/json': { schema: jsonSchemaOf(spec, 'output') } } };
    }
  }
  const takesInput = route.body !== undefined || route.query !== undefined || route.params !== undefined;
  if (takesInput) {
    const invalid = 'the request does not match this operation\'s schema; `errors` lists every invalid field';
    const declared = responses['400'];
    if (declared === undefined) responses['400'] = problemResponse(invalid);
    // A 400 the operation answers with a body of its own: invalid input is still answered as a problem, so both are documented.
    else if (declared.content?.['application/problem+json'] === undefined) {
      responses['400'] = { ...declared, description: `${declared.description}; or, as problem+json, ${invalid}`, content: { ...declared.content, ...problemResponse(invalid).content } };
    }
  }
  responses['401'] ??= problemResponse('no verified caller: neither the gateway\'s signed identity nor a service token for this service');
  return {
    operationId: id,
    ...(route.summary ? { summary: route.summary } : {}),
    ...(route.description ? { description: route.description } : {}),
    tags: [service],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchemaOf(route.body, 'input') } } } } : {}),
    responses,
  };
}

export interface DocumentOptions {
  /** `info.version`; default `1`. */
  readonly version?: string;
  readonly description?: string;
}

/**
 * The OpenAPI 3.1 document of a service's contract: one operation per
 * route, request and response bodies as JSON Schema, problem+json errors,
 * and the two ways a caller is verified (the gateway's signed identity, a
 * service token).
 */
export function openApiDocument(contract: Contract, options: DocumentOptions = {}): OpenApiDocument {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  for (const [id, route] of Object.entries(contract.routes)) {
    const path = openApiPath(route.path);
    (paths[path] ??= {})[route.method] = operation(contract.service, id, route);
  }
  return {
    openapi: '3.1.0',
    info: { title: contract.service, version: options.version ?? '1', ...(options.description ? { description: options.description } : {}) },
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      securitySchemes: {
        serviceToken: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'a service token minted for this service by a calling msx service' },
        gatewayIdentity: { type: 'apiKey', in: 'header', name: IDENTITY_HEADER, description: "the gateway's HMAC-signed identity of the user (with its signature header)" },
      },
    },
    security: [{ serviceToken: [] }, { gatewayIdentity: [] }],
  };
}
