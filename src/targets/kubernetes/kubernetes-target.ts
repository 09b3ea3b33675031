import { CliError, failure, usageError } from '../../errors/cli-error.js';
import type { Manifest } from '../../manifest/schema.js';
import { remoteTraceSource } from '../../observability/remote-traces.js';
import type { AdminSource, DownOptions, DownResult, InstanceStatus, LogEntry, LogQuery, MetricsEndpoint, MetricsSource, ScaleChange, Target, TraceSource, UpOptions, UpProgress, UpResult } from '../target.js';
import { ADMIN_TOKEN_HEADER } from '../../token/admin-token.js';
import { podProxyRequest, proxyGet } from './api-server-proxy.js';
import { forgetDeployment, readDeployment } from './deployment-record.js';
import { apiStatus, isNotFound, kubeFailure } from './kube-api-error.js';
import { connect, type KubeConnection } from './kube-connection.js';
import { KIND_ORDER, type KubeObject, SCALE_FIELD_MANAGER } from './kube-object.js';
import { deploySystem } from './kubernetes-deploy.js';
import { cpuPercent, memoryBytes, podInstance, type PodUsage } from './pod-instances.js';
import { streamPodLogs } from './pod-log-stream.js';
import { restartPod } from './pod-restart.js';
import { deleteObjects } from './prune.js';
import { kubernetesNamespace, systemSelector } from './render/labels.js';
import { CONTAINER_PORT } from './render/kube-object.js';
import type { WireObject } from './resource-watch.js';
import { rolloutError } from './rollout-report.js';
import { listSystemObjects } from './system-inventory.js';

export interface KubernetesTargetOptions {
  readonly context?: string | undefined;
  readonly namespace?: string | undefined;
}

/**
 * The system on a Kubernetes cluster, through the one Target interface:
 * `up` deploys, `ps` lists pods, `logs` streams them, `scale` moves the
 * scale subresource (or an HPA's minimum), `down` deletes what msx created
 * by label, `restart` deletes a pod for its controller to replace
 * (pod-restart.ts), `metrics` and `admin` reach each pod through the API
 * server's pod proxy. Context and namespace come from the options, else
 * from where the system was last deployed (.msx/kubernetes.json), else the
 * kubeconfig's current context and the system's namespace.
 */
export function kubernetesTarget(root: string, manifest: Manifest, options: KubernetesTargetOptions = {}): KubernetesTarget {
  return new KubernetesTarget(root, manifest, options);
}

export class KubernetesTarget implements Target {
  readonly kind = 'kubernetes';
  readonly #root: string;
  readonly #manifest: Manifest;
  readonly #context: string | undefined;
  readonly namespace: string;
  #connection: Promise<KubeConnection> | undefined;

  constructor(root: string, manifest: Manifest, options: KubernetesTargetOptions) {
    const recorded = readDeployment(root);
    this.#root = root;
    this.#manifest = manifest;
    this.#context = options.context ?? recorded?.context;
    this.namespace = options.namespace ?? recorded?.namespace ?? kubernetesNamespace(manifest);
  }

  connection(): Promise<KubeConnection> {
    this.#connection ??= connect({ context: this.#context });
    return this.#connection;
  }

  get selector(): string {
    return systemSelector(this.#manifest);
  }

  async up(options: UpOptions, progress: UpProgress): Promise<UpResult> {
    if (options.services.length > 0) throw usageError('on Kubernetes, msx up deploys the whole system', 'run msx up without service names (or msx deploy)');
    const services = Object.keys(this.#manifest.services);
    await options.prepare?.();
    progress.onPlan(services);
    const result = await deploySystem(this.#root, this.#manifest, { context: this.#context, namespace: this.namespace, dryRun: false, wait: true, timeoutMs: options.readyTimeoutMs, forceConflicts: false, signal: options.signal }, {
      onRollout: () => void this.ps().then((instances) => progress.onChange(instances), () => undefined),
    });
    const error = result.rollout && rolloutError(result.rollout, { namespace: this.namespace, timeoutMs: options.readyTimeoutMs });
    if (error) throw error;
    const instances = await this.ps();
    progress.onChange(instances);
    return { instances, gatewayUrl: undefined };
  }

  async ps(): Promise<readonly InstanceStatus[]> {
    const connection = await this.connection();
    let pods: WireObject[];
    try {
      pods = (JSON.parse(JSON.stringify(await connection.core.listNamespacedPod({ namespace: this.namespace, labelSelector: this.selector }))) as { items: WireObject[] }).items;
    } catch (error) {
      throw kubeFailure(`listing the pods of ${this.#manifest.name} in namespace ${this.namespace}`, error, connection.server);
    }
    const usage = await this.podUsage(connection);
    return pods
      .map((pod) => podInstance(pod, usage.get(String(pod.metadata?.name))))
      .sort((a, b) => a.service.localeCompare(b.service) || a.id.localeCompare(b.id));
  }

  /** CPU and memory per pod from metrics.k8s.io; empty when the cluster has no metrics server. */
  private async podUsage(connection: KubeConnection): Promise<Map<string, PodUsage>> {
    const usage = new Map<string, PodUsage>();
    try {
      const metrics = await new connection.lib.Metrics(connection.config).getPodMetrics(this.namespace);
      for (const item of metrics.items) {
        usage.set(item.metadata.name, {
          cpuPercent: item.containers.reduce((sum, c) => sum + cpuPercent(String(c.usage.cpu)), 0),
          memoryBytes: item.containers.reduce((sum, c) => sum + memoryBytes(String(c.usage.memory)), 0),
        });
      }
    } catch {
      // no metrics server: ps shows '-' for CPU and memory
    }
    return usage;
  }

  async logs(query: LogQuery, write: (entry: LogEntry) => void, signal?: AbortSignal): Promise<void> {
    const connection = await this.connection();
    try {
      await streamPodLogs(connection, this.namespace, this.selector, query, write, signal ?? new AbortController().signal);
    } catch (error) {
      throw kubeFailure(`reading the logs of ${this.#manifest.name}`, error, connection.server);
    }
  }

  async scale(counts: Readonly<Record<string, number>>): Promise<readonly ScaleChange[]> {
    const connection = await this.connection();
    const changes: ScaleChange[] = [];
    for (const [service, to] of Object.entries(counts)) changes.push(await this.scaleOne(connection, service, to));
    return changes;
  }

  private async scaleOne(connection: KubeConnection, service: string, to: number): Promise<ScaleChange> {
    const { namespace } = this;
    const mergePatch = connection.lib.setHeaderOptions('Content-Type', connection.lib.PatchStrategy.MergePatch);
    let hpa: WireObject | undefined;
    try {
      hpa = JSON.parse(JSON.stringify(await connection.autoscaling.readNamespacedHorizontalPodAutoscaler({ name: service, namespace })));
    } catch (error) {
      if (!isNotFound(error)) throw kubeFailure(`reading the autoscaler of ${service}`, error, connection.server);
    }
    try {
      if (hpa) {
        // With an autoscaler, the Deployment's replicas are the autoscaler's to set: move its floor instead.
        const from = Number(hpa.spec?.minReplicas ?? 1);
        const max = Number(hpa.spec?.maxReplicas ?? to);
        await connection.autoscaling.patchNamespacedHorizontalPodAutoscaler({ name: service, namespace, body: { spec: { minReplicas: to, ...(to > max ? { maxReplicas: to } : {}) } }, fieldManager: SCALE_FIELD_MANAGER }, mergePatch);
        return { service, from, to, started: [], stopped: [], note: `${service} has an autoscaler: moved its minimum from ${from} to ${to}${to > max ? ` (and its maximum from ${max} to ${to})` : ''}; it scales between ${to} and ${Math.max(max, to)}` };
      }
      const scale = await connection.apps.readNamespacedDeploymentScale({ name: service, namespace });
      const from = scale.spec?.replicas ?? 0;
      await connection.apps.patchNamespacedDeploymentScale({ name: service, namespace, body: { spec: { replicas: to } }, fieldManager: SCALE_FIELD_MANAGER }, mergePatch);
      return { service, from, to, started: [], stopped: [], note: from === to ? 'unchanged' : `${to > from ? 'adding' : 'removing'} ${Math.abs(to - from)} pod${Math.abs(to - from) === 1 ? '' : 's'}; the next msx deploy sets msx.yaml's replicas again` };
    } catch (error) {
      if (isNotFound(error)) throw failure(`${service} is not deployed in namespace ${namespace}`, 'deploy it first: msx deploy');
      throw kubeFailure(`scaling ${service}`, error, connection.server);
    }
  }

  async down(options: DownOptions): Promise<DownResult> {
    const connection = await this.connection();
    const live = await listSystemObjects(connection, this.namespace, this.selector);
    // Claims hold the data and the namespace may hold other tools' objects: both only with --volumes.
    const kept = new Set(options.volumes ? [] : ['PersistentVolumeClaim', 'Namespace']);
    const order = KIND_ORDER.map((k) => k.kind);
    const doomed = [...live.values()].filter((o) => !kept.has(o.kind)).sort((a, b) => order.indexOf(b.kind) - order.indexOf(a.kind));
    const stopped: string[] = [];
    await deleteObjects(connection, doomed, { dryRun: false, onDeleted: (object: KubeObject) => stopped.push(`${object.kind}/${object.metadata.name}`) });
    forgetDeployment(this.#root);
    return { wasRunning: live.size > 0, stopped, removedData: options.volumes && doomed.some((o) => o.kind === 'PersistentVolumeClaim') };
  }

  /** The msx-collector service, read through the API server's service proxy. */
  traces(): TraceSource {
    return remoteTraceSource(`the msx-collector service in namespace ${this.namespace}`, (path) => this.viaServiceProxy('msx-collector', 4318, path));
  }

  /**
   * Each ready pod of an msx service, its /metrics through the API server's
   * pod proxy: nothing to port-forward. Infrastructure pods (databases, the
   * collector) serve no /metrics of msx's, so they are not counted.
   */
  metrics(): MetricsSource {
    return {
      endpoints: () => this.servicePods(),
      scrape: async (endpoint, timeoutMs) => {
        const connection = await this.connection();
        const request = proxyGet(connection, { kind: 'pod', name: endpoint.instance, port: CONTAINER_PORT, namespace: this.namespace }, '/metrics');
        return withinTime(request.catch(() => undefined), timeoutMs);
      },
    };
  }

  /**
   * The same pods' admin surface (`/_msx/...`) through the API server's pod
   * proxy, GET and POST. The token goes in X-Msx-Admin-Token, not in
   * Authorization: that header carries the kubeconfig's credential to the
   * API server, which deletes it after authenticating the request, so it
   * never reaches the pod (runtime/src/admin/admin-token-header.ts). The
   * user needs `get` and `create` on `pods/proxy` in the namespace.
   */
  admin(): AdminSource {
    return {
      endpoints: () => this.servicePods(),
      request: async (endpoint, request) => {
        const connection = await this.connection();
        const answer = podProxyRequest(connection, { name: endpoint.instance, port: CONTAINER_PORT, namespace: this.namespace }, request.method, request.path, { [ADMIN_TOKEN_HEADER]: request.token, accept: 'application/json' });
        return withinTime(answer.catch(() => undefined), request.timeoutMs);
      },
    };
  }

  /**
   * Deletes the pod and waits until its controller's replacement is ready and
   * the pod has gone (why a delete and not an eviction: pod-restart.ts).
   * Resolves with the replacement's name: on Kubernetes the fresh run is a
   * new pod, whose restart count starts at 0.
   */
  async restart(instance: string): Promise<string> {
    return restartPod(await this.connection(), instance, { namespace: this.namespace, systemSelector: this.selector, readyTimeoutMs: 5 * 60_000 });
  }

  /** The ready pods of msx's services (not the infrastructure's), as metrics and admin reach them. */
  private async servicePods(): Promise<MetricsEndpoint[]> {
    return (await this.ps()).filter((i) => i.ready && Object.hasOwn(this.#manifest.services, i.service)).map((i) => ({ service: i.service, instance: i.id }));
  }

  /**
   * GET through the API server's service proxy
   * (`/api/v1/namespaces/{ns}/services/{name}:{port}/proxy/{path}`): how
   * `trace` and `metrics` reach the system's trace backend and Prometheus
   * with nothing for the user to set up.
   */
  async viaServiceProxy(service: string, port: number, path: string): Promise<string> {
    const connection = await this.connection();
    try {
      return await proxyGet(connection, { kind: 'service', name: service, port, namespace: this.namespace }, path);
    } catch (error) {
      const status = apiStatus(error);
      if (status?.code === 503 || status?.code === 404) throw new CliError(`${service} in namespace ${this.namespace} does not answer through the API server's proxy (${status.message})`, { exitCode: 1, hint: `check it runs: msx ps` });
      throw kubeFailure(`reaching ${service} through the API server`, error, connection.server);
    }
  }
}

/** `answer`, or undefined when it takes longer than `timeoutMs`. */
function withinTime<T>(answer: Promise<T | undefined>, timeoutMs: number): Promise<T | undefined> {
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), timeoutMs).unref());
  return Promise.race([answer, timeout]);
}
