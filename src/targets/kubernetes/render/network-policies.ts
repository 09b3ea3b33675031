import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IIoK8sApiNetworkingV1NetworkPolicyPeer as Peer } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPeer';
import type { IIoK8sApiNetworkingV1NetworkPolicyPort as PolicyPort } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyPort';
import type { IIoK8sApiNetworkingV1NetworkPolicyIngressRule as IngressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyIngressRule';
import type { IIoK8sApiNetworkingV1NetworkPolicyEgressRule as EgressRule } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicyEgressRule';
import type { Manifest } from '../../../manifest/schema.js';
import { CONTAINER_PORT } from './kube-object.js';
import { podScraper } from './prometheus.js';
import { infrastructureSelector, serviceSelector, SYSTEM_LABEL, systemLabels } from './labels.js';
import {
  AMQP_PORT,
  COLLECTOR,
  databaseHost,
  OTLP_PORT,
  POSTGRES_PORT,
  PROMETHEUS,
  RABBITMQ,
  REDIS,
  REDIS_PORT,
  type SystemTopology,
} from './system-topology.js';

const tcp = (port: number): PolicyPort => ({ protocol: 'TCP', port });
const servicePods = (manifest: Manifest, service: string): Peer => ({ podSelector: { matchLabels: serviceSelector(manifest, service) } });
const infrastructurePods = (manifest: Manifest, name: string): Peer => ({ podSelector: { matchLabels: infrastructureSelector(manifest, name) } });

/**
 * Traffic the system needs and nothing more: every pod of the system is
 * denied all traffic in and out, then each gets exactly what msx.yaml
 * implies: the gateway is reached from anywhere and reaches the services it
 * routes to; each service reaches the services it `calls`, its own
 * database and the broker; everyone resolves names through the cluster DNS
 * and sends spans to the collector; Prometheus (msx's own, or the
 * Operator's from any namespace) scrapes the services' port. Policies select only the system's own
 * pods, so a namespace shared with other workloads is left as it was.
 */
export function networkPolicies(manifest: Manifest, topology: SystemTopology, namespace: string): INetworkPolicy[] {
  const external = manifest.infrastructure.kubernetes.infrastructure === 'external';
  const policy = (name: string, podSelector: Record<string, string>, ingress: IngressRule[], egress: EgressRule[]): INetworkPolicy => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name, namespace, labels: systemLabels(manifest) },
    spec: { podSelector: { matchLabels: podSelector }, policyTypes: ['Ingress', 'Egress'], ingress, egress },
  });
  const scraper = podScraper(manifest);
  // The Operator's Prometheus runs in a namespace msx cannot know; its pods are labelled app.kubernetes.io/name=prometheus.
  const scrapers: Peer[] = scraper === 'own'
    ? [infrastructurePods(manifest, PROMETHEUS)]
    : scraper === 'operator' ? [{ namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } }] : [];
  // External infrastructure lives at addresses msx cannot know: allow its port to anywhere.
  const toInfrastructure = (name: string, ports: number[]): EgressRule =>
    external ? { ports: ports.map(tcp) } : { to: [infrastructurePods(manifest, name)], ports: ports.map(tcp) };

  const policies: INetworkPolicy[] = [
    policy('default-deny', { [SYSTEM_LABEL]: manifest.name }, [], []),
    policy('allow-dns', { [SYSTEM_LABEL]: manifest.name }, [], [
      {
        to: [{
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
          podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
        }],
        ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
      },
    ]),
  ];

  for (const service of topology.services) {
    const spec = manifest.services[service]!;
    const ingress: IngressRule[] = [];
    const egress: EgressRule[] = [];
    if (service === topology.gateway) {
      // The way in: an Ingress controller or a load balancer, from wherever they run.
      ingress.push({ ports: [tcp(CONTAINER_PORT)] });
      if (topology.routed.length > 0) egress.push({ to: topology.routed.map((s) => servicePods(manifest, s)), ports: [tcp(CONTAINER_PORT)] });
      if (topology.redis) egress.push(toInfrastructure(REDIS, [REDIS_PORT]));
      if (spec.kind === 'gateway' && (spec.auth.jwksUrl !== undefined || spec.auth.algorithms.some((a) => a !== 'HS256'))) {
        // The identity provider's key set (JWKS) is fetched over HTTPS from outside the cluster.
        egress.push({ ports: [tcp(443)] });
      }
    } else {
      const from = [...(topology.gateway && topology.routed.includes(service) ? [topology.gateway] : []), ...topology.callers(service)];
      if (from.length > 0) ingress.push({ from: from.map((s) => servicePods(manifest, s)), ports: [tcp(CONTAINER_PORT)] });
      if (scrapers.length > 0) ingress.push({ from: scrapers, ports: [tcp(CONTAINER_PORT)] });
      const calls = topology.calls(service);
      if (calls.length > 0) egress.push({ to: calls.map((s) => servicePods(manifest, s)), ports: [tcp(CONTAINER_PORT)] });
      if (topology.withDatabase.includes(service)) egress.push(toInfrastructure(databaseHost(service), [POSTGRES_PORT]));
      if (topology.onBus.includes(service)) egress.push(toInfrastructure(RABBITMQ, external ? [AMQP_PORT, 5671] : [AMQP_PORT]));
    }
    if (manifest.infrastructure.kubernetes.discovery === 'consul') egress.push({ ports: [tcp(8500), tcp(8501)] });
    egress.push({ to: [infrastructurePods(manifest, COLLECTOR)], ports: [tcp(OTLP_PORT)] });
    policies.push(policy(service, serviceSelector(manifest, service), ingress, egress));
  }

  if (!external) {
    for (const service of topology.withDatabase) {
      policies.push(policy(databaseHost(service), infrastructureSelector(manifest, databaseHost(service)), [
        { from: [servicePods(manifest, service)], ports: [tcp(POSTGRES_PORT)] },
      ], []));
    }
    if (topology.onBus.length > 0) {
      policies.push(policy(RABBITMQ, infrastructureSelector(manifest, RABBITMQ), [
        { from: topology.onBus.map((s) => servicePods(manifest, s)), ports: [tcp(AMQP_PORT)] },
      ], []));
    }
    if (topology.redis && topology.gateway) {
      policies.push(policy(REDIS, infrastructureSelector(manifest, REDIS), [
        { from: [servicePods(manifest, topology.gateway)], ports: [tcp(REDIS_PORT)] },
      ], []));
    }
  }
  if (scraper === 'own') {
    // Nothing reaches Prometheus but a port-forward; it reaches the services' port and the API server (pod discovery), whose address msx cannot know.
    policies.push(policy(PROMETHEUS, infrastructureSelector(manifest, PROMETHEUS), [], [
      { to: topology.services.map((s) => servicePods(manifest, s)), ports: [tcp(CONTAINER_PORT)] },
      { ports: [tcp(443), tcp(6443)] },
    ]));
  }
  policies.push(policy(COLLECTOR, infrastructureSelector(manifest, COLLECTOR), [
    { from: topology.services.map((s) => servicePods(manifest, s)), ports: [tcp(OTLP_PORT)] },
  ], []));
  return policies;
}
