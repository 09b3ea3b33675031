/**
 * Header rules of a proxy hop (RFC 9110 §7.6.1): hop-by-hop headers
 * (Connection, Keep-Alive, TE, Trailer, Transfer-Encoding, Upgrade,
 * Proxy-*, and any named in Connection) belong to one connection and are
 * dropped in both directions; identity headers from the outside are dropped
 * so only the gateway can assert an identity; `X-Forwarded-*`, the request
 * id and the trace context are set for the upstream. Pure functions over
 * header lists, tested without sockets.
 */
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

function connectionTokens(value: string | undefined): Set<string> | undefined {
  if (value === undefined || value === '') return undefined;
  const names = new Set<string>();
  for (const token of value.split(',')) {
    const name = token.trim().toLowerCase();
    if (name !== '' && name !== 'close' && name !== 'keep-alive') names.add(name);
  }
  return names.size === 0 ? undefined : names;
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
 * Upstream request headers as the flat `[name, value, …]` list undici
 * takes, from node's `rawHeaders` (same shape, original case).
 */
export function buildUpstreamHeaders(rawHeaders: readonly string[], context: ForwardContext): string[] {
  const out: string[] = [];
  let connection: string | undefined;
  let priorForwardedFor: string | undefined;
  let host: string | undefined;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (name === 'connection') connection = connection === undefined ? rawHeaders[i + 1] : `${connection},${rawHeaders[i + 1]}`;
    else if (name === 'x-forwarded-for') priorForwardedFor = priorForwardedFor === undefined ? rawHeaders[i + 1] : `${priorForwardedFor}, ${rawHeaders[i + 1]}`;
    else if (name === 'host') host ??= rawHeaders[i + 1];
  }
  const named = connectionTokens(connection);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || REPLACED_ON_REQUEST.has(name) || named?.has(name) === true) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
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
  const named = connectionTokens(connection);
  let list = out;
  if (named !== undefined) {
    list = [];
    for (let i = 0; i < out.length; i += 2) if (!named.has(out[i]!)) list.push(out[i]!, out[i + 1]!);
  }
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
