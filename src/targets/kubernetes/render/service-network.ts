import type { IService } from 'kubernetes-models/v1/Service';
import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import type { Manifest } from '../../../manifest/schema.js';
import { CONTAINER_PORT } from './kube-object.js';
import { serviceLabels, serviceSelector } from './labels.js';

/** The port the gateway's Service answers on inside the cluster and on a load balancer. */
export const GATEWAY_SERVICE_PORT = 80;

/**
 * The Service of an msx service. Services other than the gateway get a
 * headless one (no cluster IP): its DNS name lists every ready pod, which
 * is what msx's DNS discovery balances over. The gateway gets a normal
 * one (a LoadBalancer when `expose: loadBalancer`), the stable address an
 * Ingress controller or a cloud load balancer sends traffic to.
 */
export function serviceService(manifest: Manifest, service: string, namespace: string): IService {
  const isGateway = manifest.services[service]!.kind === 'gateway';
  const expose = manifest.infrastructure.kubernetes.expose;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: service, namespace, labels: serviceLabels(manifest, service) },
    spec: isGateway
      ? {
          type: expose === 'loadBalancer' ? 'LoadBalancer' : 'ClusterIP',
          selector: serviceSelector(manifest, service),
          ports: [{ name: 'http', port: GATEWAY_SERVICE_PORT, targetPort: 'http', protocol: 'TCP' }],
        }
      : {
          clusterIP: 'None',
          selector: serviceSelector(manifest, service),
          ports: [{ name: 'http', port: CONTAINER_PORT, targetPort: 'http', protocol: 'TCP' }],
        },
  };
}

/** The way into the system from outside: every path to the gateway's Service, on the host msx.yaml names. */
export function gatewayIngress(manifest: Manifest, gateway: string, namespace: string): IIngress {
  const { host, className, tlsSecret } = manifest.infrastructure.kubernetes.ingress;
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name: gateway, namespace, labels: serviceLabels(manifest, gateway) },
    spec: {
      ...(className ? { ingressClassName: className } : {}),
      ...(tlsSecret && host ? { tls: [{ hosts: [host], secretName: tlsSecret }] } : {}),
      rules: [
        {
          ...(host ? { host } : {}),
          http: {
            paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: gateway, port: { number: GATEWAY_SERVICE_PORT } } } }],
          },
        },
      ],
    },
  };
}
