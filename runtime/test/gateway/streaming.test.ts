import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Gateway } from '../../src/gateway/index.js';
import { fixedDiscovery, startGateway, startUpstream, type Upstream } from './fixtures/harness.js';

const MB = 1024 * 1024;

/** Resolvable from outside: lets the test wait on what the upstream has seen. */
function signal<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('gateway body streaming over HTTP', () => {
  let upstream: Upstream;
  let gateway: Gateway;
  let base: URL;
  let firstUploadBytes = signal();
  let clientGotFirstChunk = signal();
  let upstreamBlocked = signal();
  let firehoseEnded = false;

  before(async () => {
    upstream = await startUpstream((req, res) => {
      if (req.url === '/upload') {
        const hash = createHash('sha256');
        let bytes = 0;
        req.on('data', (chunk: Buffer) => {
          if (bytes === 0) firstUploadBytes.resolve();
          bytes += chunk.length;
          hash.update(chunk);
        });
        req.on('end', () => res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') })));
        return;
      }
      if (req.url === '/download') {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.write(Buffer.alloc(MB, 1));
        // The rest only after the client has the first megabyte: a buffering proxy would deadlock here.
        void clientGotFirstChunk.promise.then(() => {
          for (let i = 0; i < 19; i++) res.write(Buffer.alloc(MB, 2));
          res.end();
        });
        return;
      }
      if (req.url === '/firehose') {
        // 64 MB, writing on only when the socket drains: blocks once the gateway stops reading.
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': 64 * MB });
        let sent = 0;
        const pump = () => {
          while (sent < 64 * MB) {
            sent += MB;
            const more = res.write(Buffer.alloc(MB, sent / MB));
            if (sent === 64 * MB) {
              firehoseEnded = true;
              res.end();
            }
            else if (!more) {
              upstreamBlocked.resolve();
              res.once('drain', pump);
              return;
            }
          }
        };
        pump();
        return;
      }
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const started = await startGateway({
      routes: [
        { path: '/big', to: '/', service: 'files', public: true, bodyLimit: '100mb', timeoutMs: 30_000 },
        { path: '/small', to: '/', service: 'files', public: true, bodyLimit: '1kb' },
      ],
      discovery: fixedDiscovery({ files: [upstream.url] }),
    });
    gateway = started.gateway;
    base = new URL(started.url);
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
  });

  function request(path: string, headers: http.OutgoingHttpHeaders, method = 'POST') {
    return http.request({ hostname: base.hostname, port: base.port, path, method, headers });
  }

  function responseOf(req: http.ClientRequest): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
  }

  it('streams a 50 MB upload: the upstream receives bytes before the client has finished sending', async () => {
    firstUploadBytes = signal();
    const total = 50 * MB;
    const req = request('/big/upload', { 'content-type': 'application/octet-stream', 'content-length': total });
    const response = responseOf(req);
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(MB);
    let sent = 0;
    const write = async (n: number) => {
      for (let i = 0; i < n; i++) {
        chunk.fill(sent % 251);
        hash.update(chunk);
        sent += chunk.length;
        if (!req.write(chunk)) await new Promise((r) => req.once('drain', r));
      }
    };
    await write(1);
    // If the gateway buffered the body, this would never resolve (the client has 49 MB still to send).
    await firstUploadBytes.promise;
    assert.ok(sent < total);
    await write(49);
    req.end();
    const { status, body } = await response;
    assert.equal(status, 200);
    assert.deepEqual(JSON.parse(body), { bytes: total, sha256: hash.digest('hex') });
  });

  it('streams a chunked upload without Content-Length too', async () => {
    firstUploadBytes = signal();
    const req = request('/big/upload', { 'transfer-encoding': 'chunked' });
    const response = responseOf(req);
    req.write(Buffer.alloc(64 * 1024, 7));
    await firstUploadBytes.promise;
    req.end(Buffer.alloc(64 * 1024, 7));
    const { status, body } = await response;
    assert.equal(status, 200);
    assert.equal(JSON.parse(body).bytes, 128 * 1024);
  });

  it('streams a download: the client receives bytes before the upstream has finished sending', async () => {
    clientGotFirstChunk = signal();
    const req = request('/big/download', {}, 'GET');
    req.end();
    const bytes = await new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          if (n >= MB) clientGotFirstChunk.resolve();
        });
        res.on('end', () => resolve(n));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    assert.equal(bytes, 20 * MB);
  });

  it('a slow client slows the upstream down: the gateway stops reading instead of buffering, then delivers every byte', async () => {
    upstreamBlocked = signal();
    firehoseEnded = false;
    const req = request('/big/firehose', {}, 'GET');
    req.end();
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject));
    res.pause();
    await upstreamBlocked.promise;
    // Loopback moves 64 MB in far less than this pause; a gateway that kept reading would have taken it all by now.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(firehoseEnded, false, 'the upstream could not finish while the client read nothing');
    const hash = createHash('sha256');
    let bytes = 0;
    await new Promise<void>((resolve, reject) => {
      res.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      res.on('end', resolve);
      res.on('error', reject);
      res.resume();
    });
    assert.equal(bytes, 64 * MB);
    const expected = createHash('sha256');
    for (let i = 1; i <= 64; i++) expected.update(Buffer.alloc(MB, i));
    assert.equal(hash.digest('hex'), expected.digest('hex'));
  });

  it('413 for a declared body over the route limit, and for a chunked body that goes over it', async () => {
    const declared = request('/small/x', { 'content-length': 4096 });
    const declaredResponse = responseOf(declared);
    declared.on('error', () => {});
    declared.end(Buffer.alloc(4096));
    assert.equal((await declaredResponse).status, 413);

    const chunked = request('/small/x', { 'transfer-encoding': 'chunked' });
    const chunkedResponse = responseOf(chunked);
    chunked.on('error', () => {});
    chunked.end(Buffer.alloc(4096));
    // The upstream answers only at the end of the body, which never comes: the gateway cuts it at 1 kB.
    assert.equal((await chunkedResponse).status, 413);
  });
});
