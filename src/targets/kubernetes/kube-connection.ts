import type { AppsV1Api, AutoscalingV2Api, CoreV1Api, KubeConfig, KubernetesObjectApi } from '@kubernetes/client-node';
import { usageError } from '../../errors/cli-error.js';

/** One cluster, as the user's kubeconfig describes it, with the clients msx uses. */
export interface KubeConnection {
  readonly config: KubeConfig;
  readonly context: string;
  /** The API server's URL, for messages. */
  readonly server: string;
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  readonly apps: AppsV1Api;
  readonly autoscaling: AutoscalingV2Api;
  /** The client library itself, loaded on first use (it is large; `msx --help` never loads it). */
  readonly lib: typeof import('@kubernetes/client-node');
}

/**
 * Connects with the user's kubeconfig as kubectl finds it (KUBECONFIG, else
 * ~/.kube/config) and the context asked for (default: its current context).
 * Sends nothing yet: the first request shows whether the cluster answers.
 */
export async function connect(options: { readonly context?: string | undefined }): Promise<KubeConnection> {
  const lib = await import('@kubernetes/client-node');
  const config = new lib.KubeConfig();
  try {
    config.loadFromDefault();
  } catch (error) {
    throw usageError(`cannot read the kubeconfig (${process.env.KUBECONFIG ?? '~/.kube/config'}): ${error instanceof Error ? error.message : String(error)}`, 'fix the file, or point KUBECONFIG at a valid one');
  }
  const contexts = config.getContexts().map((c) => c.name);
  if (contexts.length === 0) {
    throw usageError(`no Kubernetes context found (${process.env.KUBECONFIG ? `KUBECONFIG=${process.env.KUBECONFIG}` : '~/.kube/config'} has none)`, 'set KUBECONFIG to the kubeconfig of your cluster, or create one with your cloud CLI (e.g. gcloud container clusters get-credentials)');
  }
  if (options.context !== undefined) {
    if (!contexts.includes(options.context)) throw usageError(`no context "${options.context}" in the kubeconfig`, `contexts there: ${contexts.join(', ')}`);
    config.setCurrentContext(options.context);
  }
  const context = config.getCurrentContext();
  const cluster = config.getCurrentCluster();
  if (!cluster) throw usageError(`context "${context}" names no cluster in the kubeconfig`, 'fix the context entry, or pick another with --context');
  return {
    config,
    context,
    server: cluster.server,
    objects: lib.KubernetesObjectApi.makeApiClient(config),
    core: config.makeApiClient(lib.CoreV1Api),
    apps: config.makeApiClient(lib.AppsV1Api),
    autoscaling: config.makeApiClient(lib.AutoscalingV2Api),
    lib,
  };
}
