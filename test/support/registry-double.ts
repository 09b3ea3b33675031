import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A container registry double speaking the Docker Registry HTTP API v2 on
 * 127.0.0.1 (which the engine treats as an insecure registry, so plain HTTP
 * works): blob uploads (monolithic and chunked), blob HEAD, manifest PUT and
 * GET. No registry image can be pulled here, so this is what a push is
 * tested against. It keeps what it received for the test to check.
 */
export interface RegistryDouble {
  /** `127.0.0.1:<port>`: the registry host to put in msx.yaml. */
  readonly host: string;
  /** repository -> tag -> manifest JSON. */
  readonly manifests: Map<string, Map<string, string>>;
  /** Digests of the blobs received, with their sizes. */
  readonly blobs: Map<string, number>;
  close(): Promise<void>;
}

export async function startRegistryDouble(): Promise<RegistryDouble> {
  const manifests = new Map<string, Map<string, string>>();
  const blobs = new Map<string, Buffer>();
  const uploads = new Map<string, Buffer[]>();
  const body = (req: IncomingMessage) => new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://registry');
      res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
      if (url.pathname === '/v2/' || url.pathname === '/v2') return res.writeHead(200).end('{}');
      const blob = /^\/v2\/(.+)\/blobs\/(sha256:[0-9a-f]{64})$/.exec(url.pathname);
      if (blob && (req.method === 'HEAD' || req.method === 'GET')) {
        const content = blobs.get(blob[2]!);
        if (!content) return res.writeHead(404).end();
        res.writeHead(200, { 'Content-Length': content.length, 'Docker-Content-Digest': blob[2]! });
        return res.end(req.method === 'GET' ? content : undefined);
      }
      const start = /^\/v2\/(.+)\/blobs\/uploads\/?$/.exec(url.pathname);
      if (start && req.method === 'POST') {
        const id = randomUUID();
        const first = await body(req);
        const digest = url.searchParams.get('digest');
        if (digest) {
          blobs.set(digest, first);
          return res.writeHead(201, { Location: `/v2/${start[1]}/blobs/${digest}`, 'Docker-Content-Digest': digest }).end();
        }
        uploads.set(id, first.length ? [first] : []);
        return res.writeHead(202, { Location: `/v2/${start[1]}/blobs/uploads/${id}`, Range: '0-0', 'Docker-Upload-UUID': id }).end();
      }
      const upload = /^\/v2\/(.+)\/blobs\/uploads\/([0-9a-f-]+)$/.exec(url.pathname);
      if (upload && uploads.has(upload[2]!)) {
        const parts = uploads.get(upload[2]!)!;
        const chunk = await body(req);
        if (chunk.length) parts.push(chunk);
        const size = parts.reduce((n, p) => n + p.length, 0);
        if (req.method === 'PATCH') {
          return res.writeHead(202, { Location: url.pathname, Range: `0-${Math.max(0, size - 1)}`, 'Docker-Upload-UUID': upload[2]! }).end();
        }
        if (req.method === 'PUT') {
          const content = Buffer.concat(parts);
          const digest = url.searchParams.get('digest') ?? '';
          const actual = `sha256:${createHash('sha256').update(content).digest('hex')}`;
          if (digest !== actual) return res.writeHead(400).end(JSON.stringify({ errors: [{ code: 'DIGEST_INVALID', message: `expected ${digest}, got ${actual}` }] }));
          blobs.set(digest, content);
          uploads.delete(upload[2]!);
          return res.writeHead(201, { Location: `/v2/${upload[1]}/blobs/${digest}`, 'Docker-Content-Digest': digest }).end();
        }
      }
      const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname);
      if (manifest) {
        const [, repository, reference] = manifest as unknown as [string, string, string];
        if (req.method === 'PUT') {
          const content = await body(req);
          const digest = `sha256:${createHash('sha256').update(content).digest('hex')}`;
          const tags = manifests.get(repository) ?? new Map<string, string>();
          tags.set(reference, content.toString('utf8'));
          manifests.set(repository, tags);
          return res.writeHead(201, { Location: `/v2/${repository}/manifests/${digest}`, 'Docker-Content-Digest': digest }).end();
        }
        const content = manifests.get(repository)?.get(reference);
        if (!content) return res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
        res.writeHead(200, { 'Content-Type': (JSON.parse(content) as { mediaType?: string }).mediaType ?? 'application/json' });
        return res.end(req.method === 'HEAD' ? undefined : content);
      }
      res.writeHead(404).end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: `no route for ${req.method} ${url.pathname}` }] }));
    })().catch((error: unknown) => {
      res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    manifests,
    get blobs() {
      return new Map([...blobs].map(([digest, content]) => [digest, content.length]));
    },
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
