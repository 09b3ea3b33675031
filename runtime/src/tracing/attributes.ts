/**
 * Attribute names the runtime puts on spans, from the OpenTelemetry
 * semantic conventions (HTTP and database: stable; messaging: development
 * status, as of conventions 1.3x). Kept as literals so that a service with
 * tracing off never loads the large conventions module; `msx trace` reads
 * the same names.
 */
export const ATTR = {
  httpMethod: 'http.request.method',
  httpRoute: 'http.route',
  httpStatus: 'http.response.status_code',
  urlPath: 'url.path',
  serverAddress: 'server.address',
  /** The called service's name on client spans. */
  peerService: 'peer.service',
  messagingSystem: 'messaging.system',
  messagingDestination: 'messaging.destination.name',
  messagingOperation: 'messaging.operation.type',
  messagingMessageId: 'messaging.message.id',
  messagingConsumerGroup: 'messaging.consumer.group.name',
  dbSystem: 'db.system.name',
  dbNamespace: 'db.namespace',
  dbOperation: 'db.operation.name',
  dbCollection: 'db.collection.name',
  dbQueryText: 'db.query.text',
  /** msx's own: the saga, its step and the step's direction (`execute` or `compensate`). */
  sagaName: 'msx.saga.name',
  sagaStep: 'msx.saga.step',
  sagaPhase: 'msx.saga.phase',
  sagaId: 'msx.saga.id',
  /** msx's own: a client call answered by its fallback, why (`timeout`, `circuit-open`…) and from what (`default`, `last-good`). */
  fallbackReason: 'msx.fallback.reason',
  fallbackSource: 'msx.fallback.source',
} as const;
