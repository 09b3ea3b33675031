import type { OpenApiDocument } from '@msx/runtime/contract';
import type { RouteSpec } from '@msx/runtime/gateway';
import type { Manifest } from '../manifest/schema.js';
import { gatewayConfig } from '../scaffold/gateway-config.js';
import { hasContract, loadContractDocument, type SourceOverrides } from './load-contract.js';

/**
 * Every OpenAPI document of a system, by service: each service with a
 * `src/contract.ts`, and the gateway's public API composed from them and
 * msx.yaml's routes, as the gateway itself composes it when serving
 * `/openapi.json`.
 */
export async function systemDocuments(root: string, manifest: Manifest, overrides?: SourceOverrides): Promise<Map<string, OpenApiDocument>> {
  const documents = new Map<string, OpenApiDocument>();
  const services = Object.entries(manifest.services).filter(([name, spec]) => spec.kind !== 'gateway' && hasContract(root, name, overrides));
  for (const [name] of services) documents.set(name, await loadContractDocument(root, name, overrides));
  const gateway = await gatewayDocument(manifest, documents);
  if (gateway) documents.set(gateway.name, gateway.document);
  return documents;
}

/** The gateway's document from the services' documents, or undefined when the system has no gateway. */
export async function gatewayDocument(manifest: Manifest, services: ReadonlyMap<string, OpenApiDocument>): Promise<{ name: string; document: OpenApiDocument } | undefined> {
  const config = gatewayConfig(manifest) as
    | { name: string; routes: RouteSpec[]; rateLimits: Record<string, unknown>; auth: { issuer?: string; audience?: string; algorithms?: string[] } }
    | undefined;
  if (config === undefined) return undefined;
  const { gatewayOpenApiDocument } = await import('@msx/runtime/contract');
  const document = gatewayOpenApiDocument({
    name: config.name,
    routes: config.routes,
    rateLimitGroups: Object.keys(config.rateLimits),
    services: Object.fromEntries(services),
    auth: config.auth,
  });
  return { name: config.name, document };
}

/** The services a service's typed clients are generated for: those it `calls` that declare a contract. */
export function calledContracts(root: string, manifest: Manifest, caller: string, overrides?: SourceOverrides): string[] {
  const spec = manifest.services[caller];
  if (spec === undefined || spec.kind === 'gateway') return [];
  return (spec.calls ?? []).filter((callee) => manifest.services[callee] !== undefined && manifest.services[callee]!.kind !== 'gateway' && hasContract(root, callee, overrides));
}
