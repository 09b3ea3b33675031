/** The parts of an OpenAPI 3.1 document msx writes and reads (https://spec.openapis.org/oas/v3.1.0). */
export type JsonSchema = Record<string, unknown>;

export interface OpenApiParameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly required: boolean;
  readonly description?: string;
  readonly schema: JsonSchema;
}

export interface OpenApiMediaType {
  readonly schema: JsonSchema;
}

export interface OpenApiResponse {
  readonly description: string;
  readonly headers?: Record<string, { description?: string; schema: JsonSchema }>;
  readonly content?: Record<string, OpenApiMediaType>;
}

export interface OpenApiOperation {
  readonly operationId: string;
  readonly summary?: string;
  readonly description?: string;
  readonly tags?: readonly string[];
  readonly parameters?: readonly OpenApiParameter[];
  readonly requestBody?: { readonly required: boolean; readonly content: Record<string, OpenApiMediaType> };
  readonly responses: Record<string, OpenApiResponse>;
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly [extension: `x-${string}`]: unknown;
}

export type OpenApiPathItem = Partial<Record<'get' | 'put' | 'post' | 'delete' | 'patch', OpenApiOperation>>;

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string; readonly description?: string };
  readonly paths: Record<string, OpenApiPathItem>;
  readonly components?: {
    readonly schemas?: Record<string, JsonSchema>;
    readonly securitySchemes?: Record<string, Record<string, unknown>>;
  };
  readonly security?: readonly Record<string, readonly string[]>[];
  readonly [extension: `x-${string}`]: unknown;
}

/** The methods of a path item, in the order documents list them. */
export const PATH_ITEM_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
