/**
 * `@msx/runtime/client`: call other services by name, through discovery,
 * a load balancer and the shared resilience policy stack.
 */
export {
  createServiceClient,
  type CallOptions,
  type HttpMethod,
  type RequestOptions,
  type ServiceClient,
  type ServiceHandle,
  type ServiceResponse,
  FALLBACK_INSTANCE,
} from './service-client.js';
export { fallbackReason, type DefaultAnswer, type Degraded, type Fallback, type FallbackReason, type LastGoodAnswer } from './fallback.js';
export { DEFAULT_LAST_GOOD_ENTRIES } from './last-good-cache.js';
export { FALLBACKS_METRIC } from './fallback-metrics.js';
export { resolveClientOptions, type ResolvedClientOptions, type ServiceClientOptions } from './client-options.js';
export { sharedDispatcher, closeSharedDispatcher } from './dispatcher.js';
export { childTraceparent, contextOfRequest, type CallContext } from './trace-context.js';
export { ServiceCallError, isServiceCallError, type InstanceRef, type ServiceCallErrorCode } from './errors/service-call-error.js';
export { TimeoutError } from './errors/timeout-error.js';
export { CircuitOpenError } from './errors/circuit-open-error.js';
export { NoInstanceError } from './errors/no-instance-error.js';
export { HttpStatusError, parseRetryAfter, type ProblemDetails } from './errors/http-status-error.js';
export { ConnectionError } from './errors/connection-error.js';
export { BulkheadFullError } from './errors/bulkhead-full-error.js';
export { ClientConfigError } from './errors/client-config-error.js';
// The policy stack is part of the client's surface so a service builds one and shares it.
export * from '../resilience/index.js';
export { attachClient, type AttachClientOptions } from './attach-client.js';
