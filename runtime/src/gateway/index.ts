/**
 * `@msx/runtime/gateway`: the API gateway of an msx system. A generated
 * gateway builds its options from msx.yaml and the environment and calls
 * `createGateway(options).listen()`.
 */
export { createGateway, type Gateway, type GatewayOptions, type UpstreamReadiness } from './gateway.js';
export { buildRouteTable, DEFAULT_BODY_LIMIT, DEFAULT_TIMEOUT_MS, type Route, type RouteMatch, type RouteSpec, type RouteTable } from './route-table.js';
export { parseBodyLimit } from './body-limit.js';
export { GatewayConfigError } from './gateway-config-error.js';
export { UpstreamError, type UpstreamErrorKind } from './upstream-error.js';
export { BodyTooLargeError } from './proxy.js';
export { GATEWAY_PROBLEM_TYPES } from './send-problem.js';
export type { CorsOptions } from './cors.js';
export type { RateLimitGroup, RateLimitStoreOptions, RateLimitDecision } from './rate-limit.js';
export type { BreakerOptions, BreakerState, UpstreamPoolOptions } from './upstreams.js';
export { GatewayMetrics } from './gateway-metrics.js';
export { runGateway, createGatewayFromConfig, effectiveGatewayConfig, GATEWAY_CONFIG_ENV, type GeneratedGatewayConfig } from './run-gateway.js';
