import type { ConfigurationOptions, ObservableMiddleware, RequestContext, ResponseContext } from '@kubernetes/client-node';
import type { KubeConnection } from './kube-connection.js';

/** What the API server's proxy is asked to reach: a Service (one of its ready pods) or one pod, on a port. */
export interface ProxyTarget {
  readonly kind: 'service' | 'pod';
  readonly name: string;
  readonly port: number;
  readonly namespace: string;
}

/** What the pod (or Service) answered through the proxy, whatever its status. */
export interface ProxyAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * GET `pathAndQuery` of a Service or pod through the API server's proxy
 * (`/api/v1/namespaces/{ns}/{services|pods}/{name}:{port}/proxy/{path}`), as
 * text. Two things the generated client does not do on its own: it escapes
 * the whole path argument, so a query in it would reach the pod as part of
 * the path (`%3F`) — the query goes on as the request's own; and it parses a
 * JSON answer — which is given back as the text it was. A status other than
 * 2xx rejects with the client's ApiException.
 */
export async function proxyGet(connection: KubeConnection, target: ProxyTarget, pathAndQuery: string): Promise<string> {
  const { path, options } = proxyOptions(connection, pathAndQuery, {});
  const request = { name: `${target.name}:${target.port}`, namespace: target.namespace, path };
  const answer: unknown = target.kind === 'service'
    ? await connection.core.connectGetNamespacedServiceProxyWithPath(request, options)
    : await connection.core.connectGetNamespacedPodProxyWithPath(request, options);
  return typeof answer === 'string' ? answer : JSON.stringify(answer);
}

/**
 * GET or POST `pathAndQuery` of one pod through the API server's pod proxy
 * with extra request `headers`, resolving with the pod's status and body
 * text for any status (a 401 or 404 of the pod's is an answer, not a
 * failure). The generated client throws on a status other than 2xx, and for
 * a 401 without the body; so the answer is taken as it comes off the wire,
 * in the client's own response middleware, and the client's verdict only
 * matters when no answer came (the API server could not be reached).
 *
 * The API server strips `Authorization` (its own credential, which the
 * client sets) before proxying; other headers reach the pod.
 */
export async function podProxyRequest(connection: KubeConnection, target: Omit<ProxyTarget, 'kind'>, method: 'GET' | 'POST', pathAndQuery: string, headers: Readonly<Record<string, string>>): Promise<ProxyAnswer> {
  let answer: ProxyAnswer | undefined;
  const { Observable, ResponseContext: Response } = connection.lib;
  const capture: ObservableMiddleware = {
    pre: (context: RequestContext) => new Observable(Promise.resolve(context)),
    post: (response: ResponseContext) => new Observable((async () => {
      const body = await response.body.text();
      answer = { status: response.httpStatusCode, body };
      // The client reads the body again to parse it: hand it a fresh one with the same text.
      return new Response(response.httpStatusCode, response.headers, { text: async () => body, binary: async () => Buffer.from(body) });
    })()),
  };
  const { path, options } = proxyOptions(connection, pathAndQuery, headers, capture);
  const request = { name: `${target.name}:${target.port}`, namespace: target.namespace, path };
  try {
    await (method === 'GET' ? connection.core.connectGetNamespacedPodProxyWithPath(request, options) : connection.core.connectPostNamespacedPodProxyWithPath(request, options));
  } catch (error) {
    if (answer === undefined) throw error;
  }
  if (answer === undefined) throw new Error(`no answer from ${target.name} through the API server's pod proxy`);
  return answer;
}

/** The path for the generated client (without the query), and middleware that puts the query and `headers` on the request. */
function proxyOptions(connection: KubeConnection, pathAndQuery: string, headers: Readonly<Record<string, string>>, ...more: ObservableMiddleware[]): { path: string; options: ConfigurationOptions<ObservableMiddleware> } {
  const [path = '', query = ''] = pathAndQuery.replace(/^\//, '').split('?', 2);
  const params = new URLSearchParams(query);
  const { Observable } = connection.lib;
  const addQueryAndHeaders: ObservableMiddleware = {
    pre: (context: RequestContext) => {
      for (const [name, value] of params) context.setQueryParam(name, value);
      for (const [name, value] of Object.entries(headers)) context.setHeaderParam(name, value);
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(Promise.resolve(response)),
  };
  return { path, options: { middleware: [addQueryAndHeaders, ...more], middlewareMergeStrategy: 'append' } };
}
