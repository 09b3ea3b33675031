/**
 * `msx trace` against a collector that runs where its files cannot be read
 * (a container, a pod): its {@link TRACE_QUERY_PATH} answers the traces as
 * JSON. `get` is how the target reaches the collector (a published port,
 * the Kubernetes API server's proxy).
 */
import type { TraceSource } from '../targets/target.js';
import { TRACE_QUERY_PATH } from './trace-collector.js';
import type { Trace } from './trace-model.js';

export function remoteTraceSource(location: string, get: (pathAndQuery: string) => Promise<string>): TraceSource {
  return {
    location,
    async recent(limit) {
      const text = await get(limit === undefined ? TRACE_QUERY_PATH : `${TRACE_QUERY_PATH}?limit=${limit}`);
      return JSON.parse(text) as Trace[];
    },
  };
}
