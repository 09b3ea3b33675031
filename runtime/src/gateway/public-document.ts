import type { Logger } from 'pino';
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER } from '../auth/gateway-identity.js';
import { gatewayOpenApiDocument } from '../contract/gateway-document.js';
import { OPENAPI_PATH } from '../contract/openapi-document.js';
import type { OpenApiDocument } from '../contract/openapi-types.js';
import type { RouteSpec } from './route-table.js';
import type { Upstreams } from './upstreams.js';

/** How long a composed document is served before the services are asked again. */
const DOCUMENT_TTL_MS = 5_000;
const FETCH_TIMEOUT_MS = 2_000;

export interface PublicDocumentOptions {
  readonly name: string;
  readonly routes: readonly RouteSpec[];
  readonly rateLimitGroups: readonly string[];
  readonly upstreams: Upstreams;
  readonly auth?: { readonly issuer?: string | readonly string[]; readonly audience?: string | readonly string[]; readonly algorithms?: readonly string[] };
  /** The anonymous identity for a service, as public routes carry it: services answer their document only to verified callers. */
  readonly identityFor: (service: string) => { identity: string; signature: string } | undefined;
  readonly logger: Logger;
}

/**
 * The gateway's `GET /openapi.json`: the public API composed from the
 * documents the routed services serve now (so it follows what is running,
 * not a copy made at build time) and the gateway's own route table. It is
 * public: it describes what any client may call and how to authenticate,
 * and holds nothing a client could not learn by calling. A service that
 * does not answer is listed under `x-msx-undocumented`.
 */
export function publicDocument(options: PublicDocumentOptions): () => Promise<OpenApiDocument> {
  const services = [...new Set(options.routes.map((route) => route.service))];
  let cached: { document: OpenApiDocument; atMs: number } | undefined;
  let pending: Promise<OpenApiDocument> | undefined;

  async function serviceDocument(service: string): Promise<OpenApiDocument | undefined> {
    try {
      const instance = await options.upstreams.pick(service);
      const identity = options.identityFor(service);
      const response = await options.upstreams.pool(instance.url).request({
        method: 'GET',
        path: OPENAPI_PATH,
        headers: identity ? { [IDENTITY_HEADER]: identity.identity, [IDENTITY_SIGNATURE_HEADER]: identity.signature } : {},
        headersTimeout: FETCH_TIMEOUT_MS,
        bodyTimeout: FETCH_TIMEOUT_MS,
      });
      if (response.statusCode !== 200) {
        await response.body.dump();
        options.logger.warn({ service, status: response.statusCode }, 'service serves no OpenAPI document; left out of the gateway document');
        return undefined;
      }
      return (await response.body.json()) as OpenApiDocument;
    } catch (err) {
      options.logger.warn({ service, err }, 'could not fetch the OpenAPI document of a service; left out of the gateway document');
      return undefined;
    }
  }

  async function compose(): Promise<OpenApiDocument> {
    const documents = await Promise.all(services.map(async (service) => [service, await serviceDocument(service)] as const));
    const auth = options.auth === undefined ? undefined : { ...options.auth, issuer: ([] as string[]).concat((options.auth.issuer ?? []) as string[]).join(', ') || undefined };
    return gatewayOpenApiDocument({
      name: options.name,
      routes: options.routes,
      rateLimitGroups: options.rateLimitGroups,
      services: Object.fromEntries(documents.filter((entry): entry is readonly [string, OpenApiDocument] => entry[1] !== undefined)),
      auth,
    });
  }

  return () => {
    if (cached !== undefined && Date.now() - cached.atMs < DOCUMENT_TTL_MS) return Promise.resolve(cached.document);
    pending ??= compose().then(
      (document) => {
        // A document missing a service is not kept: the next request asks again.
        if (document['x-msx-undocumented'] === undefined) cached = { document, atMs: Date.now() };
        pending = undefined;
        return document;
      },
      (err: unknown) => {
        pending = undefined;
        throw err;
      },
    );
    return pending;
  };
}
