import { hostname } from 'node:os';

/**
 * The instance's name in logs, spans and metrics, from `MSX_INSTANCE`.
 * `{hostname}` in it becomes the host's name and `{pid}` the process id:
 * replicas of a compose service share one environment, so the compose file
 * says `orders-{hostname}` and each container (whose host name is its id)
 * tells itself apart. Unset or empty: `<service>-<pid>`.
 */
export function instanceName(service: string, value: string | undefined): string {
  const given = value?.trim();
  if (!given) return `${service}-${process.pid}`;
  return given.replaceAll('{hostname}', hostname()).replaceAll('{pid}', String(process.pid));
}
