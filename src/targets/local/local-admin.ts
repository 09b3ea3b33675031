import type { AdminSource } from '../target.js';
import { adminFetch } from '../admin-fetch.js';
import { localEndpoints } from './local-metrics.js';
import type { LocalPaths } from './local-paths.js';

/** A local instance serves its admin surface on its own port of this machine, like /metrics. */
export function localAdmin(paths: LocalPaths): AdminSource {
  return {
    endpoints: async () => localEndpoints(paths),
    request: async (endpoint, request) => {
      const url = (endpoint as { url?: string }).url;
      return url === undefined ? undefined : adminFetch(url, request);
    },
  };
}
