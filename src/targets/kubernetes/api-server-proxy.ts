import type { ConfigurationOptions, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { KubeConnection } from './kube-connection.js';

/** What the API server's proxy is asked to reach: a Service (one of its ready pods) or one pod, on a port. */
export interface ProxyTarget {
  readonly kind: 'service' | 'pod';
  readonly name: string;
  readonly port: number;
  readonly namespace: string;
}

/**
 * GET `pathAndQuery` of a Service or pod through the API server's proxy
 * (`/api/v1/namespaces/{ns}/{services|pods}/{name}:{port}/proxy/{path}`), as
 * text. Two things the generated client does not do on its own: it escapes
 * the whole path argument, so a query in it would reach the pod as part of
 * the path (`%3F`) — the query goes on as the request's own; and it parses a
 * JSON answer — which is given back as the text it was.
 */
export async function proxyGet(connection: KubeConnection, target: ProxyTarget, pathAndQuery: string): Promise<string> {
  const [path = '', query = ''] = pathAndQuery.replace(/^\//, '').split('?', 2);
  const params = new URLSearchParams(query);
  const { Observable } = connection.lib;
  const addQuery: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      for (const [name, value] of params) context.setQueryParam(name, value);
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  const withQuery: ConfigurationOptions<ObservableMiddleware> = { middleware: [addQuery], middlewareMergeStrategy: 'append' };
  const request = { name: `${target.name}:${target.port}`, namespace: target.namespace, path };
  const answer: unknown = target.kind === 'service'
    ? await connection.core.connectGetNamespacedServiceProxyWithPath(request, withQuery)
    : await connection.core.connectGetNamespacedPodProxyWithPath(request, withQuery);
  return typeof answer === 'string' ? answer : JSON.stringify(answer);
}
