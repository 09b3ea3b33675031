/**
 * Header rules of a proxy hop (RFC 9110 §7.6.1): hop-by-hop headers
 * (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade,
 * Proxy-*, and any named in Connection) belong to one connection and are
 * dropped in both directions; identity headers from the outside are dropped
 * so only the gateway can assert an identity, and msx's admin-token header
 * so no client can present one to a service; `X-Forwarded-*`, the request
 * id and the trace context are set for the upstream. Pure functions over
 * header lists, tested without sockets.
 */
import { ADMIN_TOKEN_HEADER } from '../admin/admin-token-header.js';
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER } from '../auth/gateway-identity.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
]);

/** Request headers the gateway sets itself; incoming copies are replaced, not appended to. */
const REPLACED_ON_REQUEST = new Set([
  'host',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-request-id',
  'traceparent',
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
]);

/**
 * Request headers that never go upstream as they came, in one set so the
 * per-header loop looks once: hop-by-hop ones, those the gateway replaces,
 * `Expect`, which the gateway answers itself (it sends `100 Continue`
 * once it has decided to forward, see gateway.ts; undici refuses to send
 * an `Expect` header at all), and the admin-token header, which only msx
 * sends to a service directly (admin/admin-token-header.ts): a client of
 * the public API has no business presenting one to a service.
 */
const NOT_FORWARDED = new Set([...HOP_BY_HOP, ...REPLACED_ON_REQUEST, 'expect', ADMIN_TOKEN_HEADER]);

function connectionTokens(value: string | undefined): Set<string> | undefined {
  // Nearly every request and response says just `keep-alive` (or `close`): no set to build for those.
  if (value === undefined || value === '' || value === 'keep-alive' || value === 'close') return undefined;
  const names = new Set<string>();
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name);
  }
  return names.size === 0 ? undefined : names;
}

/** `list` (flat `[name, value, …]`, lower-cased names) without the headers Connection named; `list` itself when it named none. */
function withoutNamed(list: string[], named: Set<string> | undefined): string[] {
  if (named === undefined) return list;
  const kept: string[] = [];
  for (let i = 0; i < list.length; i += 2) if (!named.has(list[i]!)) kept.push(list[i]!, list[i + 1]!);
  return kept;
}

export interface ForwardContext {
  /** Address of the peer that connected to the gateway. */
  readonly clientIp: string;
  readonly proto: 'http' | 'https';
  readonly requestId: string;
  readonly traceparent: string;
  /** Signed identity headers (already computed), or undefined for anonymous requests. */
  readonly identity?: { readonly identity: string; readonly signature: string } | undefined;
}

/**
 * What the gateway reads from a request's headers, taken from node's
 * `rawHeaders` in one pass. The proxy path never touches `req.headers`
 * (CORS and tracing do, when they are on): node builds that object lazily
 * on first access, lower-casing and merging every header, and the gateway
 * needs only these few plus the list it forwards.
 * Repeated headers merge as node would merge them (`, `), except those
 * node keeps the first of (Authorization, Host, Content-Length).
 */
export interface RequestHeaders {
  readonly authorization: string | undefined;
  readonly requestId: string | undefined;
  readonly traceparent: string | undefined;
  readonly contentLength: string | undefined;
  readonly transferEncoding: string | undefined;
  readonly forwardedFor: string | undefined;
  readonly host: string | undefined;
  /** Headers that go upstream as they came (lower-cased names): all but hop-by-hop ones and those the gateway sets. */
  readonly forwarded: string[];
  /** Extra names listed in Connection, which are hop-by-hop too; undefined when it names none. */
  readonly connectionNamed: Set<string> | undefined;
}

const merge = (prior: string | undefined, value: string): string => (prior === undefined ? value : `${prior}, ${value}`);

export function readRequestHeaders(rawHeaders: readonly string[]): RequestHeaders {
  let authorization: string | undefined;
  let requestId: string | undefined;
  let traceparent: string | undefined;
  let contentLength: string | undefined;
  let transferEncoding: string | undefined;
  let forwardedFor: string | undefined;
  let host: string | undefined;
  let connection: string | undefined;
  const forwarded: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const value = rawHeaders[i + 1]!;
    if (!NOT_FORWARDED.has(name)) {
      forwarded.push(name, value);
      if (name === 'authorization') authorization ??= value;
      else if (name === 'content-length') contentLength ??= value;
      continue;
    }
    switch (name) {
      case 'host':
        host ??= value;
        break;
      case 'x-forwarded-for':
        forwardedFor = merge(forwardedFor, value);
        break;
      case 'x-request-id':
        requestId = merge(requestId, value);
        break;
      case 'traceparent':
        traceparent = merge(traceparent, value);
        break;
      case 'transfer-encoding':
        transferEncoding = merge(transferEncoding, value);
        break;
      case 'connection':
        connection = connection === undefined ? value : `${connection},${value}`;
        break;
      default:
    }
  }
  return { authorization, requestId, traceparent, contentLength, transferEncoding, forwardedFor, host, forwarded, connectionNamed: connectionTokens(connection) };
}

/**
 * Upstream request headers as the flat `[name, value, …]` list undici
 * takes: what the client sent minus hop-by-hop and gateway-set headers,
 * then the forwarding, tracing and identity headers. Appends to
 * `request.forwarded` itself (built for this one request) rather than
 * copying it: call it once per request.
 */
export function upstreamHeaders(request: RequestHeaders, context: ForwardContext): string[] {
  const out = withoutNamed(request.forwarded, request.connectionNamed);
  const priorForwardedFor = request.forwardedFor;
  const host = request.host;
  out.push(
    'x-forwarded-for',
    priorForwardedFor === undefined ? context.clientIp : `${priorForwardedFor}, ${context.clientIp}`,
    'x-forwarded-proto',
    context.proto,
    'x-request-id',
    context.requestId,
    'traceparent',
    context.traceparent,
  );
  if (host !== undefined) out.push('x-forwarded-host', host);
  if (context.identity !== undefined) {
    out.push(IDENTITY_HEADER, context.identity.identity, IDENTITY_SIGNATURE_HEADER, context.identity.signature);
  }
  return out;
}

/**
 * The client's response head, as the flat `[name, value, …]` list
 * `res.writeHead` takes, from undici's raw upstream header Buffers: the
 * upstream's headers minus hop-by-hop ones, then the gateway's own
 * (`x-request-id`, `RateLimit-*`, `Connection: close` while draining) for
 * names the upstream did not send, so a service's own value wins as it did
 * with `setHeader` + `writeHead`. A list (not an object) keeps repeated
 * headers such as `Set-Cookie` as they came and spares node a second
 * validation pass over a header map; values are decoded as latin1 so
 * non-ASCII bytes reach the client unchanged.
 */
export function responseHeaderList(rawHeaders: readonly (Buffer | string)[], gatewayHeaders: readonly string[]): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const rawName = rawHeaders[i]!;
    const rawValue = rawHeaders[i + 1]!;
    const name = (typeof rawName === 'string' ? rawName : rawName.toString('latin1')).toLowerCase();
    const value = typeof rawValue === 'string' ? rawValue : rawValue.toString('latin1');
    if (HOP_BY_HOP.has(name)) {
      if (name === 'connection') connection = connection === undefined ? value : `${connection},${value}`;
      continue;
    }
    out.push(name, value);
  }
  const list = withoutNamed(out, connectionTokens(connection));
  const upstreamCount = list.length;
  for (let g = 0; g < gatewayHeaders.length; g += 2) {
    const name = gatewayHeaders[g]!;
    let sent = false;
    for (let i = 0; i < upstreamCount; i += 2) {
      if (list[i] === name) {
        sent = true;
        break;
      }
    }
    if (!sent) list.push(name, gatewayHeaders[g + 1]!);
  }
  return list;
}
