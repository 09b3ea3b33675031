/**
 * A client of the Consul agent at `url`, through the `consul` package,
 * which is loaded here, on first use, not when the runtime is imported:
 * discovery and configuration both talk to the agent this way. `T` is the
 * subset of the package's API the caller uses, typed with the per-request
 * `timeout` that the package honours but leaves out of its declarations.
 */
export function connectConsulAgent<T>(url: URL, token: string | undefined): Promise<T> {
  return import('consul').then(
    ({ default: Consul }) =>
      new Consul({
        host: url.hostname.replace(/^\[|\]$/g, ''),
        port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
        secure: url.protocol === 'https:',
        ...(token ? { defaults: { token } } : {}),
      }) as unknown as T,
  );
}
