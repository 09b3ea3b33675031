import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readRequestHeaders, responseHeaderList, upstreamHeaders, type ForwardContext } from '../../src/gateway/forwarded-headers.js';
import { traceparentFrom, requestIdFrom } from '../../src/gateway/trace-context.js';

const context = { clientIp: '10.0.0.9', proto: 'http' as const, requestId: 'rid-1', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };

/** The upstream header list for a request's raw headers, as the gateway builds it. */
const buildUpstreamHeaders = (rawHeaders: string[], forward: ForwardContext): string[] => upstreamHeaders(readRequestHeaders(rawHeaders), forward);

function asMap(flat: string[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (let i = 0; i < flat.length; i += 2) map.set(flat[i]!, [...(map.get(flat[i]!) ?? []), flat[i + 1]!]);
  return map;
}

describe('buildUpstreamHeaders', () => {
  it('drops hop-by-hop headers, those named in Connection, outside identity headers and msx\'s admin-token header', () => {
    const headers = asMap(
      buildUpstreamHeaders(
        [
          'Host', 'example.com',
          'Connection', 'keep-alive, X-Secret-Hop',
          'Keep-Alive', 'timeout=5',
          'TE', 'trailers',
          'Trailer', 'x',
          'Transfer-Encoding', 'chunked',
          'Upgrade', 'websocket',
          'Proxy-Authorization', 'Basic x',
          'X-Secret-Hop', '1',
          'X-Msx-Identity', 'forged',
          'X-Msx-Identity-Signature', 'v1=forged',
          'X-Msx-Admin-Token', 'a.service.token',
          'Authorization', 'Bearer t',
          'Accept', 'application/json',
        ],
        context,
      ),
    );
    for (const name of ['connection', 'keep-alive', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'proxy-authorization', 'x-secret-hop', 'x-msx-identity', 'x-msx-identity-signature', 'x-msx-admin-token', 'host']) {
      assert.equal(headers.has(name), false, `${name} must not be forwarded`);
    }
    assert.deepEqual(headers.get('authorization'), ['Bearer t']);
    assert.deepEqual(headers.get('accept'), ['application/json']);
    assert.deepEqual(headers.get('x-forwarded-host'), ['example.com']);
    assert.deepEqual(headers.get('x-forwarded-proto'), ['http']);
    assert.deepEqual(headers.get('x-request-id'), ['rid-1']);
    assert.deepEqual(headers.get('traceparent'), [context.traceparent]);
  });

  it('appends the client to an existing X-Forwarded-For chain', () => {
    const headers = asMap(buildUpstreamHeaders(['X-Forwarded-For', '1.1.1.1, 2.2.2.2'], context));
    assert.deepEqual(headers.get('x-forwarded-for'), ['1.1.1.1, 2.2.2.2, 10.0.0.9']);
  });

  it('adds the signed identity when given', () => {
    const headers = asMap(buildUpstreamHeaders([], { ...context, identity: { identity: 'abc', signature: 'v1=def' } }));
    assert.deepEqual(headers.get('x-msx-identity'), ['abc']);
    assert.deepEqual(headers.get('x-msx-identity-signature'), ['v1=def']);
  });
});

describe('responseHeaderList', () => {
  const raw = (...pairs: string[]) => pairs.map((p) => Buffer.from(p, 'latin1'));

  it('removes hop-by-hop response headers and those named in Connection', () => {
    const out = responseHeaderList(
      raw('Connection', 'close, x-hop', 'Keep-Alive', 'timeout=5', 'Transfer-Encoding', 'chunked', 'X-Hop', '1', 'Content-Type', 'text/plain'),
      [],
    );
    assert.deepEqual(out, ['content-type', 'text/plain']);
  });

  it("adds the gateway's headers the upstream did not send; the upstream's own value wins", () => {
    const out = responseHeaderList(raw('X-Request-Id', 'from-service', 'Content-Length', '2'), ['x-request-id', 'rid-1', 'ratelimit-limit', '10']);
    assert.deepEqual(out, ['x-request-id', 'from-service', 'content-length', '2', 'ratelimit-limit', '10']);
  });

  it('keeps repeated headers and non-ASCII bytes as they came', () => {
    const out = responseHeaderList([...raw('Set-Cookie', 'a=1', 'Set-Cookie', 'b=2'), Buffer.from('x-name'), Buffer.from('café', 'utf8')], []);
    assert.deepEqual(out.slice(0, 4), ['set-cookie', 'a=1', 'set-cookie', 'b=2']);
    assert.deepEqual(Buffer.from(out[5]!, 'latin1'), Buffer.from('café', 'utf8'));
  });
});

describe('readRequestHeaders', () => {
  it('reads what the gateway needs in one pass and merges repeats as node does', () => {
    const read = readRequestHeaders([
      'Authorization', 'Bearer first',
      'authorization', 'Bearer second',
      'Content-Length', '12',
      'X-Request-ID', 'a',
      'x-request-id', 'b',
      'TraceParent', context.traceparent,
      'Transfer-Encoding', 'gzip',
      'transfer-encoding', 'chunked',
      'X-Forwarded-For', '1.1.1.1',
      'Host', 'api.example',
      'Connection', 'keep-alive',
      'Accept', 'application/json',
    ]);
    // node keeps the first Authorization and Content-Length and joins the rest with ", "
    assert.equal(read.authorization, 'Bearer first');
    assert.equal(read.contentLength, '12');
    assert.equal(read.requestId, 'a, b');
    assert.equal(read.traceparent, context.traceparent);
    assert.equal(read.transferEncoding, 'gzip, chunked');
    assert.equal(read.forwardedFor, '1.1.1.1');
    assert.equal(read.host, 'api.example');
    // a bare keep-alive names no other header
    assert.equal(read.connectionNamed, undefined);
    assert.deepEqual(read.forwarded, ['authorization', 'Bearer first', 'authorization', 'Bearer second', 'content-length', '12', 'accept', 'application/json']);
    // a merged (repeated) request id is not a sane id, so the gateway mints its own as node's headers object would make it
    assert.notEqual(requestIdFrom(read.requestId), 'a, b');
  });

  it('never forwards Expect: the gateway answers 100-continue itself (and undici refuses to send the header)', () => {
    const read = readRequestHeaders(['Expect', '100-continue', 'Content-Length', '2048', 'Content-Type', 'application/json']);
    assert.deepEqual(read.forwarded, ['content-length', '2048', 'content-type', 'application/json']);
  });
});

describe('trace context', () => {
  it('keeps a valid traceparent and replaces an invalid one', () => {
    assert.equal(traceparentFrom(context.traceparent), context.traceparent);
    const fresh = traceparentFrom('00-00000000000000000000000000000000-b7ad6b7169203331-01');
    assert.match(fresh, /^00-[\da-f]{32}-[\da-f]{16}-01$/);
    assert.notEqual(fresh.slice(3, 35), '00000000000000000000000000000000');
    assert.match(traceparentFrom(undefined), /^00-[\da-f]{32}-[\da-f]{16}-01$/);
  });

  it('keeps a sane request id and replaces a hostile one', () => {
    assert.equal(requestIdFrom('abc-123'), 'abc-123');
    assert.notEqual(requestIdFrom('bad id\r\nx: y'), 'bad id\r\nx: y');
    assert.notEqual(requestIdFrom('x'.repeat(500)), 'x'.repeat(500));
  });

  it('mints distinct version 4 UUIDs as request ids', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = requestIdFrom(undefined);
      assert.match(id, /^[\da-f]{8}-[\da-f]{4}-4[\da-f]{3}-[89ab][\da-f]{3}-[\da-f]{12}$/);
      ids.add(id);
    }
    assert.equal(ids.size, 5000);
  });
});
