/**
 * STAND-IN, to be replaced by the k8s-render engineer's
 * `render/render-objects.ts` (same names and signatures, per the issue 11
 * contract). It renders only what the deploy path needs to be exercised: a
 * Namespace, the `.env` Secret, and per service a ConfigMap, a Deployment and
 * (for services with a port) a Service. No probes, policies or
 * infrastructure: `msx render kubernetes` owns those.
 */
import type { Manifest } from '../../manifest/schema.js';
import { type KubeObject, MANAGED_BY_LABEL, SERVICE_LABEL, SYSTEM_LABEL } from './kube-object.js';

export const CONTAINER_PORT = 3000;

export function kubernetesNamespace(manifest: Manifest): string {
  return manifest.infrastructure.kubernetes.namespace ?? manifest.name;
}

export function systemSelector(manifest: Manifest): string {
  return `${MANAGED_BY_LABEL}=msx,${SYSTEM_LABEL}=${manifest.name}`;
}

function labels(manifest: Manifest, service?: string): Record<string, string> {
  return {
    'app.kubernetes.io/part-of': manifest.name,
    [MANAGED_BY_LABEL]: 'msx',
    [SYSTEM_LABEL]: manifest.name,
    ...(service ? { 'app.kubernetes.io/name': service, [SERVICE_LABEL]: service } : {}),
  };
}

export function secretObjects(manifest: Manifest, namespace: string, dotEnv: Record<string, string>): KubeObject[] {
  const data = Object.fromEntries(Object.entries(dotEnv).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  return [{ apiVersion: 'v1', kind: 'Secret', metadata: { name: `${manifest.name}-secrets`, namespace, labels: labels(manifest) }, type: 'Opaque', data }];
}

export function kubernetesObjects(input: { manifest: Manifest; images: Record<string, string>; namespace: string }): KubeObject[] {
  const { manifest, images, namespace } = input;
  const objects: KubeObject[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, labels: labels(manifest) } }];
  const services = Object.entries(manifest.services);
  for (const [name, spec] of services) {
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-config`, namespace, labels: labels(manifest, name) }, data: { PORT: String(CONTAINER_PORT), ...spec.env } });
  }
  for (const [name] of services) {
    objects.push({
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace, labels: labels(manifest, name) },
      spec: { selector: { [SYSTEM_LABEL]: manifest.name, [SERVICE_LABEL]: name }, ports: [{ name: 'http', port: 80, targetPort: CONTAINER_PORT }] },
    });
  }
  for (const [name, spec] of services) {
    const selector = { [SYSTEM_LABEL]: manifest.name, [SERVICE_LABEL]: name };
    objects.push({
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace, labels: labels(manifest, name) },
      spec: {
        replicas: spec.replicas,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels: labels(manifest, name) },
          spec: {
            containers: [{
              name,
              image: images[name] ?? `${manifest.name}-${name}:latest`,
              ports: [{ name: 'http', containerPort: CONTAINER_PORT }],
              envFrom: [{ configMapRef: { name: `${name}-config` } }, { secretRef: { name: `${manifest.name}-secrets` } }],
            }],
          },
        },
      },
    });
  }
  return objects;
}
