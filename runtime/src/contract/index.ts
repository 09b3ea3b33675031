/**
 * `@msx/runtime/contract`: a service's API declared once in zod — validated
 * at run time, described as OpenAPI 3.1, and the source of typed clients.
 * A service's `src/contract.ts` imports only this module (and zod), so msx
 * can load it without starting the service.
 */
export { z } from 'zod';
export { text, int32, money, INT32_MAX, INT32_MIN } from '../service/schemas.js';
export { defineContract, problem, isProblemResponse, openApiPath, pathParameters, CONTRACT_METHODS, type Contract, type ContractMethod, type ProblemResponse, type ResponseSpec, type RouteSpec } from './route-contract.js';
export { openApiDocument, jsonSchemaOf, problemResponse, statusText, OPENAPI_PATH, PROBLEM_SCHEMA, PROBLEM_SCHEMA_REF, type DocumentOptions } from './openapi-document.js';
export { gatewayOpenApiDocument, type GatewayDocumentInput } from './gateway-document.js';
export { serveContract, CONTRACT_VIOLATION_PROBLEM_TYPE, type ContractHandlers, type RouteHandler, type RouteImplementation, type RouteInput, type RouteReply, type ServeOptions } from './serve-contract.js';
export { callOperation, type OperationProblem, type OperationRefusal, type OperationRoute, type OperationSuccess } from './contract-client.js';
export { PATH_ITEM_METHODS, type JsonSchema, type OpenApiDocument, type OpenApiOperation, type OpenApiParameter, type OpenApiPathItem, type OpenApiResponse } from './openapi-types.js';
