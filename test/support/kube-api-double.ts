/**
 * A Kubernetes API server double for tests: node:http on 127.0.0.1 that
 * serves the real paths and JSON shapes msx calls through the real
 * @kubernetes/client-node (no API server can run on these machines).
 *
 * What it implements, as the API server does: discovery (/api, /apis, each
 * group version's resource list), server-side apply (apply-patch+yaml with
 * fieldManager, force and dryRun=All; per-manager field ownership, 409
 * conflicts with the field and its owner, managedFields, resourceVersion and
 * generation bumped only when something changed), merge patches, GET, LIST
 * and WATCH with resourceVersion (and a 410 "Expired" ERROR event for a
 * resourceVersion older than the compacted history), label and field
 * selectors, the scale subresource, pod logs with follow, DELETE of one
 * object (a pod's gracefully: terminating first, with a uid precondition)
 * and of a collection by label selector (with the garbage collection of
 * pods), events, metrics.k8s.io pod metrics, and the service and pod
 * proxies (which forward the method, the body, the decoded path, re-escaped,
 * the request's own query and its headers — without Authorization, which
 * the API server's authentication deletes before proxying — as the API
 * server's proxy does).
 *
 * Controllers are scripted: a Deployment rolls out (observedGeneration, then
 * updated, then available replicas) unless a script says its pods crash-loop,
 * cannot pull their image, miss their config, exceed the progress deadline or
 * never become ready. A deleted pod of a Deployment is replaced by its
 * ReplicaSet at once (a new name, ready a step later) while it terminates;
 * a StatefulSet's comes back under its name once it has gone. Tests can
 * replace a pod, append log lines, drop every open watch and expire the
 * watch history. Every request is recorded.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>;

interface ResourceType {
  readonly group: string;
  readonly version: string;
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
  /** Whether metadata.generation tracks spec changes. */
  readonly generation: boolean;
  readonly scale?: boolean;
}

const RESOURCE_TYPES: readonly ResourceType[] = [
  { group: '', version: 'v1', plural: 'namespaces', kind: 'Namespace', namespaced: false, generation: false },
  { group: '', version: 'v1', plural: 'secrets', kind: 'Secret', namespaced: true, generation: false },
  { group: '', version: 'v1', plural: 'configmaps', kind: 'ConfigMap', namespaced: true, generation: false },
  { group: '', version: 'v1', plural: 'services', kind: 'Service', namespaced: true, generation: false },
  { group: '', version: 'v1', plural: 'serviceaccounts', kind: 'ServiceAccount', namespaced: true, generation: false },
  { group: '', version: 'v1', plural: 'persistentvolumeclaims', kind: 'PersistentVolumeClaim', namespaced: true, generation: false },
  { group: '', version: 'v1', plural: 'pods', kind: 'Pod', namespaced: true, generation: false },
  { group: '', version: 'v1', plural: 'events', kind: 'Event', namespaced: true, generation: false },
  { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true, generation: true, scale: true },
  { group: 'apps', version: 'v1', plural: 'statefulsets', kind: 'StatefulSet', namespaced: true, generation: true, scale: true },
  { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true, generation: true, scale: true },
  { group: 'autoscaling', version: 'v2', plural: 'horizontalpodautoscalers', kind: 'HorizontalPodAutoscaler', namespaced: true, generation: true },
  { group: 'policy', version: 'v1', plural: 'poddisruptionbudgets', kind: 'PodDisruptionBudget', namespaced: true, generation: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true, generation: true },
  { group: 'networking.k8s.io', version: 'v1', plural: 'ingresses', kind: 'Ingress', namespaced: true, generation: true },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'roles', kind: 'Role', namespaced: true, generation: false },
  { group: 'rbac.authorization.k8s.io', version: 'v1', plural: 'rolebindings', kind: 'RoleBinding', namespaced: true, generation: false },
];

/** How a Deployment's pods behave when the double's controller rolls it out. */
export type RolloutScript =
  | 'ready' // pods start and become ready
  | 'crash-loop' // containers exit with code 1 and are restarted with back-off
  | 'image-pull' // the image cannot be pulled
  | 'config-error' // a referenced Secret key is missing
  | 'deadline' // pods stay Pending until the Progressing condition reports ProgressDeadlineExceeded
  | 'never-ready' // pods run but never pass readiness, and nothing says why
  | 'quota' // a ResourceQuota refuses the pods: the ReplicaSet creates none and reports FailedCreate
  | 'quota-until-gone'; // a full quota: a deleted pod's replacement is refused (FailedCreate) until the deleted pod has gone, then created

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly contentType: string | undefined;
  /** Parsed JSON or YAML body, when there was one. */
  readonly body: unknown;
}

interface Stored {
  readonly type: ResourceType;
  obj: Obj;
  /** manager → the leaf paths it owns, with the operation that set them. */
  owners: Map<string, { operation: 'Apply' | 'Update'; paths: Set<string>; time: string }>;
}

interface HistoryEntry {
  readonly rv: number;
  readonly eventType: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly key: string;
  readonly type: ResourceType;
  readonly object: Obj;
}

interface WatchSubscriber {
  readonly type: ResourceType;
  readonly namespace: string | undefined;
  readonly labelSelector: string | undefined;
  readonly fieldSelector: string | undefined;
  readonly res: ServerResponse;
}

interface LogFollower {
  readonly pod: string;
  readonly namespace: string;
  readonly res: ServerResponse;
  readonly timestamps: boolean;
}

interface PodLog {
  readonly lines: { time: number; text: string }[];
}

/** Paths into an object, as segments, joined with this separator for use as map keys. */
const SEP = '\u0000';

export class KubeApiDouble {
  /** Every request, in arrival order. */
  readonly requests: RecordedRequest[] = [];
  /** Milliseconds between the steps of a scripted rollout. */
  stepMs = 40;
  /** Whether metrics.k8s.io is served (a cluster with metrics-server). */
  metricsServer = true;

  private readonly store = new Map<string, Stored>();
  private readonly history: HistoryEntry[] = [];
  private rv = 100;
  /** Resource versions at or below this one are gone from the watch cache: watching from them answers 410. */
  private compactedRv = 0;
  private readonly watchers = new Set<WatchSubscriber>();
  private readonly followers = new Set<LogFollower>();
  private readonly logs = new Map<string, PodLog>();
  private readonly scripts = new Map<string, RolloutScript>();
  private readonly reconciles = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sockets = new Set<Socket>();
  private readonly proxies = new Map<string, ProxyHandler>();
  private readonly podProxies = new Map<string, PodProxyHandler>();
  private podCounter = 0;

  private constructor(private readonly server: Server) {}

  /** Starts a double on a free port of 127.0.0.1. */
  static async start(): Promise<KubeApiDouble> {
    let double!: KubeApiDouble;
    const server = createServer((req, res) => double.handle(req, res));
    double = new KubeApiDouble(server);
    server.on('connection', (socket) => {
      double.sockets.add(socket);
      socket.on('close', () => double.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return double;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /**
   * Writes a kubeconfig for this double into `dir` and returns its path.
   * Contexts: `double` (current) and `other`, both pointing here; the
   * cluster entry sets insecure-skip-tls-verify, without which client-node
   * 1.x refuses plain HTTP.
   */
  writeKubeconfig(dir: string, options: { namespace?: string } = {}): string {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'kubeconfig');
    const context = (name: string) => ({ name, context: { cluster: 'double', user: 'tester', ...(options.namespace ? { namespace: options.namespace } : {}) } });
    writeFileSync(path, stringifyYaml({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'double', cluster: { server: this.url, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'tester', user: { token: 'test-token' } }],
      contexts: [context('double'), context('other')],
      'current-context': 'double',
    }));
    return path;
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- scripting -------------------------------------------------------

  /** How the pods of Deployment `name` behave from its next rollout on. */
  script(name: string, behaviour: RolloutScript): void {
    this.scripts.set(name, behaviour);
  }

  /** The stored object, or undefined. */
  get(kind: string, namespace: string | undefined, name: string): Obj | undefined {
    const type = typeOfKind(kind);
    return this.store.get(storeKey(type, namespace, name))?.obj;
  }

  /** Every stored object of a kind, optionally in one namespace. */
  list(kind: string, namespace?: string): Obj[] {
    const type = typeOfKind(kind);
    return [...this.store.values()].filter((s) => s.type === type && (namespace === undefined || s.obj.metadata.namespace === namespace)).map((s) => s.obj);
  }

  /** Requests that changed state (apply, patch, put, post, delete), in order. */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  /** Creates or replaces an object as another client would (manager `kubectl` by default, operation Update). */
  put(object: Obj, manager = 'kubectl'): Obj {
    const type = typeOfKind(object.kind);
    const result = this.applyAs(type, object.metadata.namespace, object.metadata.name, clone(object), manager, { force: true, operation: 'Update' });
    if ('conflict' in result) throw new Error('unexpected conflict');
    return result.object;
  }

  /** Appends a line to a pod's log; followers of it receive it at once. */
  log(pod: string, text: string): void {
    const namespace = this.list('Pod').find((p) => p.metadata.name === pod)?.metadata.namespace;
    if (!namespace) throw new Error(`no pod ${pod}`);
    this.appendLog(namespace, pod, text);
  }

  /** Deletes a pod as if its node died; the Deployment's controller starts a replacement. Returns the new pod's name. */
  async replacePod(name: string): Promise<string> {
    const stored = [...this.store.values()].find((s) => s.type.kind === 'Pod' && s.obj.metadata.name === name);
    if (!stored) throw new Error(`no pod ${name}`);
    const namespace = stored.obj.metadata.namespace;
    const owner = stored.obj.metadata.labels?.['msx.double/deployment'];
    this.deleteStored(storeKey(stored.type, namespace, name));
    const deployment = this.get('Deployment', namespace, owner);
    if (!deployment) throw new Error(`pod ${name} has no deployment`);
    const pod = this.createPod(deployment, podTemplateHash(deployment), 'ready');
    this.later(this.stepMs, () => {
      const current = this.get('Pod', namespace, pod.metadata.name);
      if (current) this.startPod(current, 'ready');
    });
    return pod.metadata.name;
  }

  /** Closes every open watch connection mid-stream, as a restarting API server or a proxy's idle timeout does. */
  dropWatches(): void {
    for (const watcher of this.watchers) watcher.res.socket?.destroy();
    this.watchers.clear();
  }

  /** Forgets the watch history so far: a watch from an older resourceVersion gets 410 Gone ("Expired"). */
  compactHistory(): void {
    this.compactedRv = this.rv;
    this.history.length = 0;
  }

  /** Serves `/api/v1/namespaces/{ns}/services/{service}:{port}/proxy/...` with `handler`. */
  proxy(namespace: string, service: string, port: number, handler: ProxyHandler): void {
    this.proxies.set(`${namespace}/${service}:${port}`, handler);
  }

  /**
   * Serves `/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/...` of every
   * running pod of the namespace with `handler`. Without a handler for the
   * port (or for a pod without an IP) the answer is the API server's 503
   * when nothing listens there.
   */
  proxyPods(namespace: string, port: number, handler: PodProxyHandler): void {
    this.podProxies.set(`${namespace}:${port}`, handler);
  }

  // ---- HTTP ------------------------------------------------------------

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://double');
      const text = Buffer.concat(chunks).toString('utf8');
      const contentType = req.headers['content-type']?.split(';')[0]?.trim();
      let body: unknown;
      try {
        body = text ? (contentType?.includes('yaml') ? parseYaml(text) : JSON.parse(text)) : undefined;
      } catch {
        body = text;
      }
      this.requests.push({ method: req.method ?? 'GET', path: url.pathname, query: Object.fromEntries(url.searchParams), contentType, body });
      try {
        this.route(req, res, url, body, contentType, Buffer.concat(chunks));
      } catch (error) {
        if (!res.headersSent) statusResponse(res, 500, 'InternalError', String(error));
      }
    });
  }

  private route(req: IncomingMessage, res: ServerResponse, url: URL, body: unknown, contentType: string | undefined, raw: Buffer): void {
    const path = url.pathname.replace(/\/+$/, '');
    const q = url.searchParams;
    if (path === '/api') return json(res, 200, { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [] });
    if (path === '/apis') return json(res, 200, this.groupList());
    if (path === '/version') return json(res, 200, { major: '1', minor: '31', gitVersion: 'v1.31.0-msx-double' });

    const segments = path.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments[1] === 'v1') [group, version, rest] = ['', 'v1', segments.slice(2)];
    else if (segments[0] === 'apis' && segments.length >= 3) [group, version, rest] = [segments[1]!, segments[2]!, segments.slice(3)];
    else return statusResponse(res, 404, 'NotFound', `the server could not find the requested resource`);

    if (group === 'metrics.k8s.io') return this.metrics(res, rest);
    if (rest.length === 0) return this.resourceList(res, group, version);

    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && findType(group, version, rest[2]!)?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    const type = findType(group, version, rest[0]!);
    if (!type) return statusResponse(res, 404, 'NotFound', `the server could not find the requested resource`);
    const name = rest[1];
    const sub = rest[2];

    if (type.kind === 'Service' && name !== undefined && sub === 'proxy') return this.serviceProxy(proxiedRequest(req, raw), res, namespace!, name, proxiedPath(url, rest.slice(3)));
    if (type.kind === 'Pod' && name !== undefined && sub === 'proxy') return this.podProxy(proxiedRequest(req, raw), res, namespace!, name, proxiedPath(url, rest.slice(3)));
    if (namespace !== undefined && type.kind !== 'Namespace' && req.method !== 'GET' && req.method !== 'DELETE' && !this.store.has(storeKey(typeOfKind('Namespace'), undefined, namespace))) {
      return statusResponse(res, 404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    }

    if (name === undefined) {
      if (req.method === 'GET' && q.get('watch') === 'true') return this.watch(res, type, namespace, q);
      if (req.method === 'GET') return json(res, 200, this.listResponse(type, namespace, q));
      if (req.method === 'DELETE') return this.deleteCollection(res, type, namespace, q);
      if (req.method === 'POST') return this.create(res, type, namespace, body as Obj, q);
      return statusResponse(res, 405, 'MethodNotAllowed', `${req.method} is not supported on a collection here`);
    }
    const key = storeKey(type, namespace, name);
    if (sub === 'scale' && type.scale) return this.scale(req, res, type, namespace, name, body as Obj, q, contentType);
    if (sub === 'log' && type.kind === 'Pod') return this.podLog(res, namespace!, name, q);
    if (sub !== undefined) return statusResponse(res, 404, 'NotFound', `subresource ${sub} is not served by the double`);

    switch (req.method) {
      case 'GET': {
        const stored = this.store.get(key);
        if (!stored) return notFound(res, type, name);
        return json(res, 200, this.present(stored));
      }
      case 'PATCH':
        return this.patch(res, type, namespace, name, body as Obj, q, contentType);
      case 'PUT': {
        const result = this.applyAs(type, namespace, name, stripMeta(body as Obj), q.get('fieldManager') ?? 'unknown', { force: true, operation: 'Update', replace: true, dryRun: q.get('dryRun') === 'All' });
        if ('conflict' in result) return;
        return json(res, 200, result.object);
      }
      case 'DELETE': {
        const stored = this.store.get(key);
        if (!stored) return notFound(res, type, name);
        const uid = (body as Obj | undefined)?.preconditions?.uid;
        if (uid !== undefined && uid !== stored.obj.metadata.uid) return statusResponse(res, 409, 'Conflict', `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${stored.obj.metadata.uid}`, { name, kind: type.plural });
        if (type.kind === 'Pod') return json(res, 200, this.terminatePod(key));
        const deleted = this.deleteStored(key);
        return json(res, 200, type.kind === 'Pod' ? deleted : { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: type.plural, uid: deleted.metadata.uid } });
      }
    }
    return statusResponse(res, 405, 'MethodNotAllowed', `${req.method} is not allowed`);
  }

  private groupList(): Obj {
    const groups = new Map<string, string>();
    for (const type of RESOURCE_TYPES) if (type.group) groups.set(type.group, type.version);
    if (this.metricsServer) groups.set('metrics.k8s.io', 'v1beta1');
    return {
      kind: 'APIGroupList',
      apiVersion: 'v1',
      groups: [...groups].map(([name, version]) => ({ name, versions: [{ groupVersion: `${name}/${version}`, version }], preferredVersion: { groupVersion: `${name}/${version}`, version } })),
    };
  }

  private resourceList(res: ServerResponse, group: string, version: string): void {
    const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
    if (types.length === 0) return statusResponse(res, 404, 'NotFound', `the server could not find the requested resource`);
    const verbs = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
    const resources: Obj[] = [];
    for (const t of types) resources.push({ name: t.plural, singularName: t.kind.toLowerCase(), namespaced: t.namespaced, kind: t.kind, verbs });
    for (const t of types.filter((x) => x.scale)) resources.push({ name: `${t.plural}/scale`, singularName: '', namespaced: true, group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'] });
    if (group === '' && version === 'v1') {
      resources.push({ name: 'pods/log', singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
      resources.push({ name: 'services/proxy', singularName: '', namespaced: true, kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
      resources.push({ name: 'pods/proxy', singularName: '', namespaced: true, kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
    }
    json(res, 200, { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources });
  }

  // ---- reading ---------------------------------------------------------

  private present(stored: Stored): Obj {
    const obj = clone(stored.obj);
    obj.metadata.managedFields = [...stored.owners].map(([manager, owner]) => ({
      manager,
      operation: owner.operation,
      apiVersion: apiVersionOf(stored.type),
      time: owner.time,
      fieldsType: 'FieldsV1',
      fieldsV1: fieldsV1(owner.paths),
    }));
    return obj;
  }

  private matching(type: ResourceType, namespace: string | undefined, q: URLSearchParams): Stored[] {
    const labelSelector = q.get('labelSelector') ?? undefined;
    const fieldSelector = q.get('fieldSelector') ?? undefined;
    return [...this.store.values()]
      .filter((s) => s.type === type && (namespace === undefined || s.obj.metadata.namespace === namespace))
      .filter((s) => matchesLabels(s.obj, labelSelector) && matchesFields(s.obj, fieldSelector))
      .sort((a, b) => String(a.obj.metadata.name).localeCompare(String(b.obj.metadata.name)));
  }

  private listResponse(type: ResourceType, namespace: string | undefined, q: URLSearchParams): Obj {
    return {
      kind: `${type.kind}List`,
      apiVersion: apiVersionOf(type),
      metadata: { resourceVersion: String(this.rv) },
      items: this.matching(type, namespace, q).map((s) => this.present(s)),
    };
  }

  private watch(res: ServerResponse, type: ResourceType, namespace: string | undefined, q: URLSearchParams): void {
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    res.flushHeaders();
    const from = q.get('resourceVersion');
    const subscriber: WatchSubscriber = { type, namespace, labelSelector: q.get('labelSelector') ?? undefined, fieldSelector: q.get('fieldSelector') ?? undefined, res };
    if (from && from !== '0' && Number(from) <= this.compactedRv) {
      // What the API server sends when the watch cache no longer holds that version.
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.compactedRv})`, reason: 'Expired', code: 410 } })}\n`);
      return;
    }
    if (!from || from === '0') {
      for (const stored of this.matching(type, namespace, q)) res.write(`${JSON.stringify({ type: 'ADDED', object: this.present(stored) })}\n`);
    } else {
      for (const entry of this.history) if (entry.rv > Number(from) && this.wants(subscriber, entry)) res.write(`${JSON.stringify({ type: entry.eventType, object: entry.object })}\n`);
    }
    this.watchers.add(subscriber);
    res.on('close', () => this.watchers.delete(subscriber));
  }

  private wants(w: WatchSubscriber, entry: HistoryEntry): boolean {
    return w.type === entry.type && (w.namespace === undefined || entry.object.metadata.namespace === w.namespace) && matchesLabels(entry.object, w.labelSelector) && matchesFields(entry.object, w.fieldSelector);
  }

  private metrics(res: ServerResponse, rest: string[]): void {
    if (!this.metricsServer) return statusResponse(res, 404, 'NotFound', 'the server could not find the requested resource');
    const namespace = rest[0] === 'namespaces' ? rest[1] : undefined;
    const pods = this.list('Pod', namespace).filter((p) => p.status?.phase === 'Running');
    json(res, 200, {
      kind: 'PodMetricsList',
      apiVersion: 'metrics.k8s.io/v1beta1',
      metadata: {},
      items: pods.map((p, i) => ({
        metadata: { name: p.metadata.name, namespace: p.metadata.namespace, labels: p.metadata.labels },
        timestamp: new Date().toISOString(),
        window: '15s',
        containers: (p.spec.containers ?? []).map((c: Obj) => ({ name: c.name, usage: { cpu: `${12 + i}m`, memory: `${48 + i}Mi` } })),
      })),
    });
  }

  private serviceProxy(req: ProxiedRequest, res: ServerResponse, namespace: string, nameAndPort: string, path: string): void {
    const handler = this.proxies.get(`${namespace}/${nameAndPort}`);
    if (!handler) return statusResponse(res, 503, 'ServiceUnavailable', `no endpoints available for service "${nameAndPort}"`);
    handler(path, req, res);
  }

  private podProxy(req: ProxiedRequest, res: ServerResponse, namespace: string, nameAndPort: string, path: string): void {
    const [name, portText] = nameAndPort.split(':') as [string, string | undefined];
    const pod = this.get('Pod', namespace, name);
    if (!pod) return notFound(res, typeOfKind('Pod'), name);
    const port = Number(portText ?? pod.spec.containers?.[0]?.ports?.[0]?.containerPort ?? 80);
    const ip = pod.status?.podIP;
    if (!ip) return statusResponse(res, 400, 'BadRequest', `address not allowed`);
    const handler = this.podProxies.get(`${namespace}:${port}`);
    if (!handler) return statusResponse(res, 503, 'ServiceUnavailable', `error trying to reach service: dial tcp ${ip}:${port}: connect: connection refused`);
    handler(pod, path, req, res);
  }

  // ---- writing ---------------------------------------------------------

  private create(res: ServerResponse, type: ResourceType, namespace: string | undefined, body: Obj, q: URLSearchParams): void {
    const name = body?.metadata?.name;
    if (!name) return statusResponse(res, 422, 'Invalid', 'metadata.name: Required value');
    if (this.store.has(storeKey(type, namespace, name))) return statusResponse(res, 409, 'AlreadyExists', `${type.plural} "${name}" already exists`, { name, kind: type.plural });
    const result = this.applyAs(type, namespace, name, stripMeta(body), q.get('fieldManager') ?? 'unknown', { force: true, operation: 'Update', dryRun: q.get('dryRun') === 'All' });
    if ('object' in result) json(res, 201, result.object);
  }

  private patch(res: ServerResponse, type: ResourceType, namespace: string | undefined, name: string, body: Obj, q: URLSearchParams, contentType: string | undefined): void {
    const dryRun = q.get('dryRun') === 'All';
    const manager = q.get('fieldManager');
    if (contentType === 'application/apply-patch+yaml') {
      if (!manager) return statusResponse(res, 400, 'BadRequest', 'PATCH, application/apply-patch+yaml requires fieldManager to be set');
      if (body?.metadata?.name && body.metadata.name !== name) return statusResponse(res, 400, 'BadRequest', 'the name of the object does not match the name on the URL');
      if (body?.kind !== type.kind || body?.apiVersion !== apiVersionOf(type)) return statusResponse(res, 400, 'BadRequest', `apply patch must say apiVersion ${apiVersionOf(type)} and kind ${type.kind}`);
      const result = this.applyAs(type, namespace, name, stripMeta(body), manager, { force: q.get('force') === 'true', operation: 'Apply', dryRun });
      if ('conflict' in result) return conflictResponse(res, type, name, result.conflict);
      return json(res, result.created ? 201 : 200, result.object);
    }
    if (contentType === 'application/merge-patch+json' || contentType === 'application/strategic-merge-patch+json') {
      const stored = this.store.get(storeKey(type, namespace, name));
      if (!stored) return notFound(res, type, name);
      const merged = mergePatch(clone(stored.obj), body);
      const result = this.applyAs(type, namespace, name, stripMeta(merged), manager ?? 'unknown', { force: true, operation: 'Update', replace: true, dryRun });
      if ('object' in result) return json(res, 200, result.object);
      return;
    }
    statusResponse(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format: ${contentType}`);
  }

  private scale(req: IncomingMessage, res: ServerResponse, type: ResourceType, namespace: string | undefined, name: string, body: Obj, q: URLSearchParams, contentType: string | undefined): void {
    const key = storeKey(type, namespace, name);
    const stored = this.store.get(key);
    if (!stored) return notFound(res, type, name);
    if (req.method === 'PUT' || req.method === 'PATCH') {
      const replicas = body?.spec?.replicas;
      if (!Number.isInteger(replicas) || replicas < 0) return statusResponse(res, 422, 'Invalid', 'spec.replicas: Invalid value: must be a non-negative integer');
      if (req.method === 'PATCH' && !['application/apply-patch+yaml', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].includes(contentType ?? '')) return statusResponse(res, 415, 'UnsupportedMediaType', `unknown patch type ${contentType}`);
      const manager = q.get('fieldManager') ?? 'unknown';
      const operation = contentType === 'application/apply-patch+yaml' ? 'Apply' : 'Update';
      const next = clone(stored.obj);
      next.spec.replicas = replicas;
      const result = this.applyAs(type, namespace, name, stripMeta(next), manager, { force: operation === 'Update' || q.get('force') === 'true', operation, replace: true, ownPaths: [['spec', 'replicas']], dryRun: q.get('dryRun') === 'All' });
      if ('conflict' in result) return conflictResponse(res, type, name, result.conflict);
    }
    const obj = this.store.get(key)!.obj;
    json(res, 200, {
      kind: 'Scale',
      apiVersion: 'autoscaling/v1',
      metadata: { name, namespace, uid: obj.metadata.uid, resourceVersion: obj.metadata.resourceVersion, creationTimestamp: obj.metadata.creationTimestamp },
      spec: { replicas: obj.spec.replicas ?? 1 },
      status: { replicas: obj.status?.replicas ?? 0, selector: selectorString(obj.spec.selector?.matchLabels ?? {}) },
    });
  }

  private deleteCollection(res: ServerResponse, type: ResourceType, namespace: string | undefined, q: URLSearchParams): void {
    const items = this.matching(type, namespace, q);
    const deleted = q.get('dryRun') === 'All' ? items.map((s) => s.obj) : items.map((s) => this.deleteStored(storeKey(type, s.obj.metadata.namespace, s.obj.metadata.name)));
    json(res, 200, { kind: `${type.kind}List`, apiVersion: apiVersionOf(type), metadata: { resourceVersion: String(this.rv) }, items: deleted });
  }

  /**
   * The API server's write path, server-side apply semantics: `manager`
   * owns the leaf fields it sets; a field another manager owns with a
   * different value is a conflict unless forced; fields the manager set
   * before and no longer sets are removed (when nobody else owns them);
   * resourceVersion moves only when the object changed.
   */
  private applyAs(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    intent: Obj,
    manager: string,
    options: { force: boolean; operation: 'Apply' | 'Update'; dryRun?: boolean; replace?: boolean; ownPaths?: string[][] },
  ): { object: Obj; created: boolean } | { conflict: { path: string; manager: string }[] } {
    const key = storeKey(type, namespace, name);
    const stored = this.store.get(key);
    const live = stored?.obj;
    delete intent.status;
    const leaves = new Map<string, unknown>();
    for (const [path, value] of leafPaths(intent)) leaves.set(path.join(SEP), value);
    const owned = options.ownPaths ? new Set(options.ownPaths.map((p) => p.join(SEP))) : new Set(leaves.keys());

    const owners = new Map([...(stored?.owners ?? new Map())].map(([m, o]) => [m, { ...o, paths: new Set(o.paths) }]));
    const conflicts: { path: string; manager: string }[] = [];
    for (const path of owned) {
      for (const [other, entry] of owners) {
        if (other === manager || !entry.paths.has(path)) continue;
        if (deepEqual(getPath(live, path.split(SEP)), leaves.get(path))) continue;
        if (options.force) entry.paths.delete(path);
        else conflicts.push({ path: `.${path.split(SEP).join('.')}`, manager: other });
      }
    }
    if (conflicts.length > 0) return { conflict: conflicts };

    let next: Obj;
    if (options.replace || !live) {
      next = clone(intent);
      next.metadata = { ...(live?.metadata ?? {}), ...(intent.metadata ?? {}) };
      if (live?.status) next.status = clone(live.status);
    } else {
      next = clone(live);
      const previous = owners.get(manager)?.paths ?? new Set<string>();
      for (const path of previous) {
        if (owned.has(path)) continue;
        if ([...owners].some(([m, o]) => m !== manager && o.paths.has(path))) continue;
        deletePath(next, path.split(SEP));
      }
      for (const path of owned) setPath(next, path.split(SEP), leaves.get(path));
    }
    for (const [m, entry] of owners) if (m !== manager && entry.paths.size === 0) owners.delete(m);
    const mine = owners.get(manager);
    const time = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    owners.set(manager, { operation: options.operation, paths: options.ownPaths && mine ? new Set([...mine.paths, ...owned]) : owned, time: mine && sameSet(mine.paths, owned) ? mine.time : time });

    const ownersChanged = !stored || [...owners].some(([m, o]) => !stored.owners.get(m) || !sameSet(stored.owners.get(m)!.paths, o.paths)) || stored.owners.size !== owners.size;
    const changed = !live || !deepEqual(withoutSystem(live), withoutSystem(next)) || ownersChanged;
    next.apiVersion = apiVersionOf(type);
    next.kind = type.kind;
    next.metadata.name = name;
    if (type.namespaced) next.metadata.namespace = namespace;
    if (!live) {
      next.metadata.uid = randomUUID();
      next.metadata.creationTimestamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
      if (type.generation) next.metadata.generation = 1;
    } else if (type.generation && !deepEqual(specOf(live), specOf(next))) {
      next.metadata.generation = (live.metadata.generation ?? 1) + 1;
    }
    if (!changed) return { object: this.present(stored!), created: false };
    if (options.dryRun) {
      next.metadata.resourceVersion = live?.metadata.resourceVersion ?? '';
      return { object: this.present({ type, obj: next, owners }), created: !live };
    }
    next.metadata.resourceVersion = String(++this.rv);
    this.store.set(key, { type, obj: next, owners });
    this.record(live ? 'MODIFIED' : 'ADDED', key, type, next);
    this.afterWrite(type, next, live);
    return { object: this.present(this.store.get(key)!), created: !live };
  }

  /** Writes status (or any field) as a controller does: no ownership, a new resourceVersion. */
  private updateStatus(key: string, mutate: (obj: Obj) => void): void {
    const stored = this.store.get(key);
    if (!stored) return;
    const before = JSON.stringify(stored.obj);
    mutate(stored.obj);
    if (JSON.stringify(stored.obj) === before) return;
    stored.obj.metadata.resourceVersion = String(++this.rv);
    this.record('MODIFIED', key, stored.type, stored.obj);
  }

  private deleteStored(key: string): Obj {
    const stored = this.store.get(key)!;
    this.store.delete(key);
    const obj = clone(stored.obj);
    obj.metadata.resourceVersion = String(++this.rv);
    this.record('DELETED', key, stored.type, obj);
    if (stored.type.kind === 'Pod') this.endLogFollowers(obj.metadata.namespace, obj.metadata.name);
    if (stored.type.kind === 'Deployment' || stored.type.kind === 'StatefulSet') {
      this.reconciles.delete(key);
      // The garbage collector: the workload's pods go with it.
      for (const pod of this.list('Pod', obj.metadata.namespace)) if (pod.metadata.labels?.['msx.double/owner'] === `${stored.type.kind}/${obj.metadata.name}`) this.deleteStored(storeKey(typeOfKind('Pod'), pod.metadata.namespace, pod.metadata.name));
    }
    if (stored.type.kind === 'Namespace') {
      for (const [k, s] of [...this.store]) if (s.obj.metadata.namespace === obj.metadata.name && this.store.has(k)) this.deleteStored(k);
    }
    return obj;
  }

  private record(eventType: HistoryEntry['eventType'], key: string, type: ResourceType, obj: Obj): void {
    const snapshot = this.store.has(key) ? this.present(this.store.get(key)!) : clone(obj);
    const entry: HistoryEntry = { rv: this.rv, eventType, key, type, object: snapshot };
    this.history.push(entry);
    for (const watcher of this.watchers) if (this.wants(watcher, entry)) watcher.res.write(`${JSON.stringify({ type: eventType, object: snapshot })}\n`);
  }

  // ---- controllers -----------------------------------------------------

  private afterWrite(type: ResourceType, obj: Obj, live: Obj | undefined): void {
    if (type.kind === 'Deployment' && (!live || live.metadata.generation !== obj.metadata.generation)) this.rollOut(obj);
    if (type.kind === 'StatefulSet' && (!live || live.metadata.generation !== obj.metadata.generation)) this.rollOutStatefulSet(obj);
  }

  private later(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private rollOut(deployment: Obj): void {
    const namespace = deployment.metadata.namespace;
    const name = deployment.metadata.name;
    const key = storeKey(typeOfKind('Deployment'), namespace, name);
    const generation = deployment.metadata.generation;
    this.reconciles.set(key, generation);
    const current = () => this.reconciles.get(key) === generation && this.store.has(key);
    const script = this.scripts.get(name) ?? 'ready';
    const desired = deployment.spec.replicas ?? 1;
    const hash = podTemplateHash(deployment);
    const pods = () => this.list('Pod', namespace).filter((p) => p.metadata.labels?.['msx.double/owner'] === `Deployment/${name}`);

    this.later(this.stepMs, () => {
      if (!current()) return;
      const old = pods().filter((p) => p.metadata.labels['pod-template-hash'] !== hash);
      const fresh = pods().filter((p) => p.metadata.labels['pod-template-hash'] === hash);
      if (script === 'quota' && fresh.length < desired) {
        this.refuseCreate(deployment, hash);
        // The controller keeps trying, with a back-off (bounded here).
        const retry = (n: number) => this.later(this.stepMs * 5, () => {
          if (!current() || n >= 20) return;
          this.refuseCreate(deployment, hash);
          retry(n + 1);
        });
        retry(1);
      } else for (let i = fresh.length; i < desired; i++) this.createPod(deployment, hash, script);
      for (const extra of fresh.slice(desired)) this.deleteStored(storeKey(typeOfKind('Pod'), namespace, extra.metadata.name));
      const oldAvailable = old.filter(isReady).length;
      this.updateStatus(key, (d) => {
        d.status = {
          ...(d.status ?? {}),
          observedGeneration: generation,
          replicas: desired + old.length,
          updatedReplicas: desired,
          readyReplicas: oldAvailable,
          availableReplicas: oldAvailable,
          unavailableReplicas: desired,
          conditions: [
            condition('Available', oldAvailable > 0 ? 'True' : 'False', oldAvailable > 0 ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable', oldAvailable > 0 ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.'),
            condition('Progressing', 'True', 'ReplicaSetUpdated', `ReplicaSet "${name}-${hash}" is progressing.`),
          ],
        };
      });
      this.later(this.stepMs, () => {
        if (!current()) return;
        const fresh2 = pods().filter((p) => p.metadata.labels['pod-template-hash'] === hash);
        if (script === 'ready') {
          for (const pod of fresh2) this.startPod(pod, 'ready');
          this.later(this.stepMs, () => {
            if (!current()) return;
            for (const pod of pods()) if (pod.metadata.labels['pod-template-hash'] !== hash) this.deleteStored(storeKey(typeOfKind('Pod'), namespace, pod.metadata.name));
            this.updateStatus(key, (d) => {
              d.status = {
                observedGeneration: generation,
                replicas: desired,
                updatedReplicas: desired,
                readyReplicas: desired,
                availableReplicas: desired,
                conditions: [
                  condition('Available', 'True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.'),
                  condition('Progressing', 'True', 'NewReplicaSetAvailable', `ReplicaSet "${name}-${hash}" has successfully progressed.`),
                ],
              };
            });
          });
          return;
        }
        for (const pod of fresh2) this.startPod(pod, script);
        if (script === 'deadline') {
          this.later(this.stepMs * 2, () => {
            if (!current()) return;
            this.updateStatus(key, (d) => {
              d.status.conditions = [
                ...d.status.conditions.filter((c: Obj) => c.type !== 'Progressing'),
                condition('Progressing', 'False', 'ProgressDeadlineExceeded', `ReplicaSet "${name}-${hash}" has timed out progressing.`),
              ];
            });
          });
        }
      });
    });
  }

  private rollOutStatefulSet(set: Obj): void {
    const namespace = set.metadata.namespace;
    const name = set.metadata.name;
    const key = storeKey(typeOfKind('StatefulSet'), namespace, name);
    const generation = set.metadata.generation;
    const desired = set.spec.replicas ?? 1;
    this.later(this.stepMs, () => {
      if (!this.store.has(key)) return;
      for (let i = 0; i < desired; i++) {
        for (const template of set.spec.volumeClaimTemplates ?? []) {
          const claim = `${template.metadata.name}-${name}-${i}`;
          if (!this.get('PersistentVolumeClaim', namespace, claim)) {
            // The StatefulSet controller labels claims with the set's selector labels.
            this.put({ apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: claim, namespace, labels: { ...(template.metadata.labels ?? {}), ...(set.spec.selector?.matchLabels ?? {}) } }, spec: template.spec }, 'kube-controller-manager');
          }
        }
        const podName = `${name}-${i}`;
        if (!this.get('Pod', namespace, podName)) {
          const pod = this.createPod(set, 'sts', 'ready', podName);
          this.startPod(pod, 'ready');
        }
      }
      this.updateStatus(key, (s) => {
        s.status = { observedGeneration: generation, replicas: desired, readyReplicas: desired, currentReplicas: desired, updatedReplicas: desired, availableReplicas: desired };
      });
    });
  }

  /**
   * A graceful pod delete, as the API server and kubelet do it: the pod gets
   * its deletionTimestamp at once (and stops being ready: it leaves the
   * Service), and is removed a step later, when its container has exited.
   * Its controller does not count a terminating pod: a Deployment's
   * ReplicaSet creates a replacement at once, under a new name, ready a step
   * after it starts; a StatefulSet recreates the pod under its own name
   * once the old one has gone. Returns the pod as the DELETE answers it.
   */
  private terminatePod(key: string): Obj {
    const stored = this.store.get(key)!;
    const { namespace, name, uid } = stored.obj.metadata;
    const grace = Number(stored.obj.spec?.terminationGracePeriodSeconds ?? 30);
    this.updateStatus(key, (p) => {
      p.metadata.deletionTimestamp = new Date(Date.now() + grace * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
      p.metadata.deletionGracePeriodSeconds = grace;
      p.status.conditions = [...(p.status?.conditions ?? []).filter((c: Obj) => c.type !== 'Ready'), condition('Ready', 'False', 'PodCompleted', '')];
    });
    const answer = clone(stored.obj);
    const [ownerKind, ownerName] = String(stored.obj.metadata.labels?.['msx.double/owner'] ?? '/').split('/') as [string, string];
    const owner = ownerKind ? this.get(ownerKind, namespace, ownerName) : undefined;
    const refusing = owner?.kind === 'Deployment' && (this.scripts.get(ownerName) === 'quota' || this.scripts.get(ownerName) === 'quota-until-gone');
    if (refusing) {
      this.refuseCreate(owner, stored.obj.metadata.labels['pod-template-hash']);
      this.recountDeployment(owner);
    } else if (owner?.kind === 'Deployment') {
      const script = this.scripts.get(ownerName) ?? 'ready';
      const replacement = this.createPod(owner, stored.obj.metadata.labels['pod-template-hash'], script);
      this.later(this.stepMs, () => {
        const current = this.get('Pod', namespace, replacement.metadata.name);
        if (current) this.startPod(current, script);
        this.later(this.stepMs, () => this.recountDeployment(owner));
      });
      this.recountDeployment(owner);
    }
    this.later(this.stepMs, () => {
      if (this.store.get(key)?.obj.metadata.uid !== uid) return;
      this.deleteStored(key);
      // The ReplicaSet controller tries again once the pod has gone (the quota still counted it), and again after a back-off.
      const hash = stored.obj.metadata.labels['pod-template-hash'];
      if (owner?.kind === 'Deployment' && this.scripts.get(ownerName) === 'quota') {
        this.later(this.stepMs, () => {
          this.refuseCreate(owner, hash);
          this.later(this.stepMs * 2, () => this.refuseCreate(owner, hash));
        });
      } else if (owner?.kind === 'Deployment' && this.scripts.get(ownerName) === 'quota-until-gone') {
        // The quota has room again: the controller's next try creates the replacement.
        const replacement = this.createPod(owner, hash, 'ready');
        this.later(this.stepMs, () => {
          const current = this.get('Pod', namespace, replacement.metadata.name);
          if (current) this.startPod(current, 'ready');
          this.later(this.stepMs, () => this.recountDeployment(owner));
        });
      }
      if (owner?.kind === 'StatefulSet' && this.store.has(storeKey(typeOfKind('StatefulSet'), namespace, ownerName))) {
        const pod = this.createPod(owner, 'sts', 'ready', name);
        this.later(this.stepMs, () => {
          const current = this.get('Pod', namespace, pod.metadata.name);
          if (current) this.startPod(current, 'ready');
        });
      }
    });
    return answer;
  }

  /** A Deployment's ready and available counts from its pods as they are now (a terminating pod is neither). */
  private recountDeployment(deployment: Obj): void {
    const namespace = deployment.metadata.namespace;
    const key = storeKey(typeOfKind('Deployment'), namespace, deployment.metadata.name);
    const pods = this.list('Pod', namespace).filter((p) => p.metadata.labels?.['msx.double/owner'] === `Deployment/${deployment.metadata.name}` && !p.metadata.deletionTimestamp);
    const ready = pods.filter(isReady).length;
    this.updateStatus(key, (d) => {
      d.status = { ...(d.status ?? {}), replicas: pods.length, readyReplicas: ready, availableReplicas: ready, ...(ready < (d.spec.replicas ?? 1) ? { unavailableReplicas: (d.spec.replicas ?? 1) - ready } : { unavailableReplicas: undefined }) };
      if (d.status.unavailableReplicas === undefined) delete d.status.unavailableReplicas;
    });
  }

  private createPod(owner: Obj, hash: string, script: RolloutScript, fixedName?: string): Obj {
    const namespace = owner.metadata.namespace;
    const name = fixedName ?? `${owner.metadata.name}-${hash}-${(++this.podCounter).toString(36).padStart(5, 'x')}`;
    const template = owner.spec.template ?? {};
    const pod: Obj = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name,
        namespace,
        labels: { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash, 'msx.double/owner': `${owner.kind}/${owner.metadata.name}`, ...(owner.kind === 'Deployment' ? { 'msx.double/deployment': owner.metadata.name } : {}) },
        ownerReferences: [{ apiVersion: 'apps/v1', kind: owner.kind === 'Deployment' ? 'ReplicaSet' : owner.kind, name: owner.kind === 'Deployment' ? `${owner.metadata.name}-${hash}` : owner.metadata.name, uid: owner.metadata.uid, controller: true }],
      },
      spec: { ...clone(template.spec ?? {}), nodeName: `node-${(this.podCounter % 2) + 1}` },
      status: { phase: 'Pending', conditions: [condition('PodScheduled', 'True', '', '')] },
    };
    pod.metadata.annotations = { 'msx.double/script': script };
    this.put(pod, 'kube-controller-manager');
    this.updateStatus(storeKey(typeOfKind('Pod'), namespace, name), (p) => {
      p.status = { phase: 'Pending', conditions: [condition('PodScheduled', 'True', '', '')] };
    });
    return this.get('Pod', namespace, name)!;
  }

  private startPod(pod: Obj, script: RolloutScript): void {
    const namespace = pod.metadata.namespace;
    const name = pod.metadata.name;
    const key = storeKey(typeOfKind('Pod'), namespace, name);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const containers: Obj[] = pod.spec.containers ?? [];
    const service = pod.metadata.labels?.['msx.dev/service'] ?? pod.metadata.labels?.['app.kubernetes.io/name'] ?? containers[0]?.name;
    const status = (c: Obj, state: Obj, extra: Obj = {}) => ({ name: c.name, image: c.image, imageID: '', ready: false, started: false, restartCount: 0, state, ...extra });
    switch (script) {
      case 'ready':
        this.updateStatus(key, (p) => {
          p.status = { phase: 'Running', podIP: `10.0.0.${this.podCounter % 250}`, startTime: now, conditions: [condition('Ready', 'True', '', '')], containerStatuses: containers.map((c) => status(c, { running: { startedAt: now } }, { ready: true, started: true })) };
        });
        this.appendLog(namespace, name, JSON.stringify({ level: 30, time: Date.now(), service, msg: `listening on :3000` }));
        return;
      case 'never-ready':
        this.updateStatus(key, (p) => {
          p.status = { phase: 'Running', podIP: `10.0.0.${this.podCounter % 250}`, startTime: now, conditions: [condition('Ready', 'False', 'ContainersNotReady', 'containers with unready status')], containerStatuses: containers.map((c) => status(c, { running: { startedAt: now } }, { started: true })) };
        });
        this.appendLog(namespace, name, JSON.stringify({ level: 30, time: Date.now(), service, msg: 'waiting for the database' }));
        return;
      case 'deadline':
        this.updateStatus(key, (p) => {
          p.status = { phase: 'Pending', conditions: [condition('PodScheduled', 'False', 'Unschedulable', '0/2 nodes are available: 2 Insufficient cpu.')] };
        });
        this.event(pod, 'Warning', 'FailedScheduling', '0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are available.', 'default-scheduler');
        return;
      case 'crash-loop':
        this.appendLog(namespace, name, JSON.stringify({ level: 30, time: Date.now(), service, msg: 'starting' }));
        this.appendLog(namespace, name, JSON.stringify({ level: 60, time: Date.now(), service, msg: 'cannot connect to postgres://orders-db:5432: ECONNREFUSED' }));
        this.updateStatus(key, (p) => {
          p.status = {
            phase: 'Running',
            podIP: `10.0.0.${this.podCounter % 250}`,
            startTime: now,
            conditions: [condition('Ready', 'False', 'ContainersNotReady', `containers with unready status: [${containers.map((c) => c.name).join(' ')}]`)],
            containerStatuses: containers.map((c) => status(c, { waiting: { reason: 'CrashLoopBackOff', message: `back-off 20s restarting failed container=${c.name} pod=${name}` } }, { restartCount: 3, lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: now, finishedAt: now } } })),
          };
        });
        this.event(pod, 'Normal', 'Started', `Started container ${containers[0]?.name}`, 'kubelet');
        this.event(pod, 'Warning', 'BackOff', `Back-off restarting failed container ${containers[0]?.name} in pod ${name}`, 'kubelet');
        return;
      case 'image-pull':
        this.updateStatus(key, (p) => {
          p.status = { phase: 'Pending', startTime: now, conditions: [condition('Ready', 'False', 'ContainersNotReady', 'containers with unready status')], containerStatuses: containers.map((c) => status(c, { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } })) };
        });
        this.event(pod, 'Warning', 'Failed', `Failed to pull image "${containers[0]?.image}": rpc error: code = NotFound desc = failed to resolve reference: not found`, 'kubelet');
        return;
      case 'config-error':
        this.updateStatus(key, (p) => {
          p.status = { phase: 'Pending', startTime: now, conditions: [condition('Ready', 'False', 'ContainersNotReady', 'containers with unready status')], containerStatuses: containers.map((c) => status(c, { waiting: { reason: 'CreateContainerConfigError', message: `couldn't find key JWT_SECRET in Secret ${namespace}/${service}-secrets` } })) };
        });
        this.event(pod, 'Warning', 'Failed', `Error: couldn't find key JWT_SECRET in Secret ${namespace}/${service}-secrets`, 'kubelet');
        return;
    }
  }

  /** What the ReplicaSet controller reports when a ResourceQuota refuses its pods (kube-controller-manager's wording). */
  private refuseCreate(deployment: Obj, hash: string): void {
    const replicaSet = { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: `${deployment.metadata.name}-${hash}`, namespace: deployment.metadata.namespace, uid: `rs-${deployment.metadata.uid}-${hash}` } };
    // A repeat is aggregated into the same event, as the API server's event recorder does: count and lastTimestamp move.
    const earlier = this.list('Event', replicaSet.metadata.namespace).find((e) => e.involvedObject?.name === replicaSet.metadata.name && e.reason === 'FailedCreate');
    if (earlier) {
      this.put({ ...earlier, count: (earlier.count ?? 1) + 1, lastTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z') }, 'replicaset-controller');
      return;
    }
    this.event(replicaSet, 'Warning', 'FailedCreate', `Error creating: pods "${replicaSet.metadata.name}-" is forbidden: exceeded quota: compute, requested: limits.memory=256Mi, used: limits.memory=1Gi, limited: limits.memory=1Gi`, 'replicaset-controller');
  }

  private event(object: Obj, type: 'Normal' | 'Warning', reason: string, message: string, component: string): void {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    this.put({
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${object.metadata.name}.${(++this.podCounter).toString(16)}`, namespace: object.metadata.namespace },
      involvedObject: { apiVersion: object.apiVersion ?? 'v1', kind: object.kind ?? 'Pod', name: object.metadata.name, namespace: object.metadata.namespace, uid: object.metadata.uid },
      reason,
      message,
      type,
      count: 1,
      firstTimestamp: now,
      lastTimestamp: now,
      source: { component },
    }, component);
  }

  // ---- logs ------------------------------------------------------------

  private appendLog(namespace: string, pod: string, text: string): void {
    const key = `${namespace}/${pod}`;
    const log = this.logs.get(key) ?? { lines: [] };
    this.logs.set(key, log);
    const line = { time: Date.now(), text };
    log.lines.push(line);
    for (const follower of this.followers) if (follower.namespace === namespace && follower.pod === pod) follower.res.write(formatLogLine(line, follower.timestamps));
  }

  private podLog(res: ServerResponse, namespace: string, name: string, q: URLSearchParams): void {
    const pod = this.get('Pod', namespace, name);
    if (!pod) return notFound(res, typeOfKind('Pod'), name);
    const container = q.get('container');
    if (container && !(pod.spec.containers ?? []).some((c: Obj) => c.name === container)) return statusResponse(res, 400, 'BadRequest', `container ${container} is not valid for pod ${name}`);
    if (pod.status?.phase === 'Pending' && !(pod.status.containerStatuses ?? []).some((c: Obj) => c.lastState?.terminated)) {
      return statusResponse(res, 400, 'BadRequest', `container "${container ?? pod.spec.containers?.[0]?.name}" in pod "${name}" is waiting to start: ContainerCreating`);
    }
    const timestamps = q.get('timestamps') === 'true';
    let lines = this.logs.get(`${namespace}/${name}`)?.lines ?? [];
    const sinceSeconds = q.get('sinceSeconds');
    const sinceTime = q.get('sinceTime');
    if (sinceSeconds) lines = lines.filter((l) => l.time >= Date.now() - Number(sinceSeconds) * 1000);
    if (sinceTime) lines = lines.filter((l) => l.time >= Date.parse(sinceTime));
    const tail = q.get('tailLines');
    if (tail) lines = lines.slice(Math.max(0, lines.length - Number(tail)));
    res.writeHead(200, { 'content-type': 'text/plain', 'transfer-encoding': 'chunked' });
    for (const line of lines) res.write(formatLogLine(line, timestamps));
    if (q.get('follow') !== 'true') return void res.end();
    const follower: LogFollower = { namespace, pod: name, res, timestamps };
    this.followers.add(follower);
    res.on('close', () => this.followers.delete(follower));
  }

  private endLogFollowers(namespace: string, pod: string): void {
    for (const follower of [...this.followers]) {
      if (follower.namespace === namespace && follower.pod === pod) {
        follower.res.end();
        this.followers.delete(follower);
      }
    }
  }
}

// ---- helpers ---------------------------------------------------------------

/**
 * A request as the API server's proxy sends it on to a pod or Service: its
 * method, body and headers, minus Authorization — the API server's
 * authentication filter deletes that header once it has authenticated the
 * request (k8s.io/apiserver pkg/endpoints/filters/authentication.go,
 * `req.Header.Del("Authorization")`), so a bearer token never reaches the
 * pod — and minus the hop-by-hop headers of the client's connection.
 */
export interface ProxiedRequest {
  readonly method: string;
  /** Lower-case names, as node gives them. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Buffer;
}

/** Answers a request the API server proxied to a Service: the path and query it asked for. */
export type ProxyHandler = (path: string, req: ProxiedRequest, res: ServerResponse) => void;

/** Answers a request the API server proxied to a pod: the pod, then the path and query it asked for. */
export type PodProxyHandler = (pod: Obj, path: string, req: ProxiedRequest, res: ServerResponse) => void;

const NOT_PROXIED = new Set(['authorization', 'connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'host', 'content-length']);

function proxiedRequest(req: IncomingMessage, body: Buffer): ProxiedRequest {
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !NOT_PROXIED.has(name)));
  return { method: req.method ?? 'GET', headers, body };
}

/**
 * What a pod behind the proxy does in these tests: the proxied request goes
 * on, as it came from the API server (method, headers, body), to a real
 * server at `url` on 127.0.0.1, and its answer comes back as it is.
 */
export function forwardTo(url: string): ProxyHandler {
  return (path, req, res) => {
    const onward = request(`${url}${path}`, { method: req.method, headers: { ...req.headers, 'content-length': String(req.body.length) } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    onward.on('error', () => res.writeHead(502).end());
    onward.end(req.body);
  };
}

/**
 * The path and query the API server's proxy sends on: the rest of the
 * (decoded) path after `/proxy`, escaped again the way Go escapes a path (so
 * an encoded `?` stays part of the path, `%3F`), and the request's own query.
 */
function proxiedPath(url: URL, rest: readonly string[]): string {
  const escaped = `/${rest.join('/')}`.split('/').map((segment) => encodeURIComponent(segment).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/g, (m) => decodeURIComponent(m))).join('/');
  return `${escaped}${url.search}`;
}

function formatLogLine(line: { time: number; text: string }, timestamps: boolean): string {
  return `${timestamps ? `${new Date(line.time).toISOString()} ` : ''}${line.text}\n`;
}

function findType(group: string, version: string, plural: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.plural === plural);
}

function typeOfKind(kind: string): ResourceType {
  const type = RESOURCE_TYPES.find((t) => t.kind === kind);
  if (!type) throw new Error(`the double does not serve kind ${kind}`);
  return type;
}

function apiVersionOf(type: ResourceType): string {
  return type.group ? `${type.group}/${type.version}` : type.version;
}

function storeKey(type: ResourceType, namespace: string | undefined, name: string): string {
  return `${apiVersionOf(type)}/${type.plural}/${type.namespaced ? namespace ?? '' : ''}/${name}`;
}

function podTemplateHash(owner: Obj): string {
  return createHash('sha256').update(JSON.stringify(owner.spec.template ?? {})).digest('hex').slice(0, 10);
}

function condition(type: string, status: string, reason: string, message: string): Obj {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  return { type, status, reason, message, lastTransitionTime: now, lastUpdateTime: now };
}

function isReady(pod: Obj): boolean {
  return (pod.status?.conditions ?? []).some((c: Obj) => c.type === 'Ready' && c.status === 'True');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function statusResponse(res: ServerResponse, code: number, reason: string, message: string, details?: Obj): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
}

function notFound(res: ServerResponse, type: ResourceType, name: string): void {
  statusResponse(res, 404, 'NotFound', `${type.plural}${type.group ? `.${type.group}` : ''} "${name}" not found`, { name, group: type.group || undefined, kind: type.plural });
}

function conflictResponse(res: ServerResponse, type: ResourceType, name: string, conflicts: { path: string; manager: string }[]): void {
  const lines = conflicts.map((c) => `conflict with "${c.manager}": ${c.path}`);
  statusResponse(res, 409, 'Conflict', `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? '' : 's'}: ${lines.join('\n')}`, {
    name,
    group: type.group || undefined,
    kind: type.plural,
    causes: conflicts.map((c) => ({ reason: 'FieldManagerConflict', message: `conflict with "${c.manager}"`, field: c.path })),
  });
}

function clone<T>(value: T): T {
  return value === undefined ? value : JSON.parse(JSON.stringify(value));
}

function stripMeta(obj: Obj): Obj {
  const copy = clone(obj ?? {});
  copy.metadata = { ...(copy.metadata ?? {}) };
  for (const key of ['uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'selfLink', 'deletionTimestamp']) delete copy.metadata[key];
  delete copy.apiVersion;
  delete copy.kind;
  return copy;
}

function withoutSystem(obj: Obj): Obj {
  return stripMeta(obj);
}

function specOf(obj: Obj): Obj {
  const copy = clone(obj);
  delete copy.metadata;
  delete copy.status;
  return copy;
}

/** Leaf paths of an object: scalars, empty objects and whole arrays (lists are atomic here). */
function* leafPaths(value: unknown, prefix: string[] = []): Generator<[string[], unknown]> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const entries = Object.entries(value as Obj).filter(([k]) => !(prefix.length === 1 && prefix[0] === 'metadata' && ['name', 'namespace'].includes(k)));
    if (entries.length === 0 && prefix.length > 0) yield [prefix, {}];
    for (const [k, v] of entries) yield* leafPaths(v, [...prefix, k]);
    return;
  }
  if (prefix.length > 0) yield [prefix, value];
}

function fieldsV1(paths: Set<string>): Obj {
  const root: Obj = {};
  for (const path of paths) {
    let node = root;
    for (const segment of path.split(SEP)) node = node[`f:${segment}`] ??= {};
  }
  return root;
}

function getPath(obj: unknown, path: string[]): unknown {
  let node: any = obj;
  for (const segment of path) node = node?.[segment];
  return node;
}

function setPath(obj: Obj, path: string[], value: unknown): void {
  let node = obj;
  for (const segment of path.slice(0, -1)) {
    if (node[segment] === null || typeof node[segment] !== 'object' || Array.isArray(node[segment])) node[segment] = {};
    node = node[segment];
  }
  node[path[path.length - 1]!] = clone(value);
}

function deletePath(obj: Obj, path: string[]): void {
  const parents: Obj[] = [];
  let node: any = obj;
  for (const segment of path.slice(0, -1)) {
    parents.push(node);
    node = node?.[segment];
    if (node === undefined) return;
  }
  delete node[path[path.length - 1]!];
  for (let i = path.length - 2; i >= 0; i--) {
    const parent = parents[i]!;
    const child = parent[path[i]!];
    if (child && typeof child === 'object' && Object.keys(child).length === 0 && path[i] !== 'metadata') delete parent[path[i]!];
    else break;
  }
}

function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const result = target && typeof target === 'object' && !Array.isArray(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = mergePatch(result[k], v);
  }
  return result;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Obj)[k])]));
  return value;
}

function sameSet(a: Set<string>, b: Set<string>): boolean {
  return a.size === b.size && [...a].every((x) => b.has(x));
}

function selectorString(labels: Record<string, string>): string {
  return Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(',');
}

/** Label selectors as the API server reads them: `a=b`, `a==b`, `a!=b`, `a`, `!a`, `a in (x,y)`, `a notin (x)`. */
function matchesLabels(obj: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  const labels: Record<string, string> = obj.metadata?.labels ?? {};
  const requirements = selector.match(/[^,(]+(\([^)]*\))?/g) ?? [];
  return requirements.every((raw) => {
    const req = raw.trim();
    let m = /^(\S+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(req);
    if (m) {
      const values = m[3]!.split(',').map((v) => v.trim());
      return m[2] === 'in' ? values.includes(labels[m[1]!] as string) : !values.includes(labels[m[1]!] as string);
    }
    m = /^([^!=]+)(==|=|!=)(.*)$/.exec(req);
    if (m) return m[2] === '!=' ? labels[m[1]!.trim()] !== m[3]!.trim() : labels[m[1]!.trim()] === m[3]!.trim();
    if (req.startsWith('!')) return !(req.slice(1) in labels);
    return req in labels;
  });
}

/** Field selectors: comma-separated `path=value` / `path!=value` on dotted paths. */
function matchesFields(obj: Obj, selector: string | undefined): boolean {
  if (!selector) return true;
  return selector.split(',').every((req) => {
    const m = /^([^!=]+)(==|=|!=)(.*)$/.exec(req.trim());
    if (!m) return false;
    const actual = String(getPath(obj, m[1]!.split('.')) ?? '');
    return m[2] === '!=' ? actual !== m[3] : actual === m[3];
  });
}
