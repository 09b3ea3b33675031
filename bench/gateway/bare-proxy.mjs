// The floor for one Node process: a bare node:http server forwarding to the
// same upstream through an undici Pool with a minimal dispatch handler. No
// auth, no rate limit, no metrics, no header rules. Informational: it shows
// what a single Node proxy process can serve on this machine at all, so the
// msx gateway's number can be read against it rather than only against nginx.
import { createServer } from 'node:http';
import { Pool } from 'undici';

const [upstreamUrl] = process.argv.slice(2);
const pool = new Pool(upstreamUrl, { connections: 128, pipelining: 1 });

class Handler {
  constructor(res) {
    this.res = res;
  }
  onRequestStart() {}
  onResponseStart(_controller, status, headers) {
    delete headers.connection;
    delete headers['keep-alive'];
    delete headers['transfer-encoding'];
    this.res.writeHead(status, headers);
  }
  onResponseData(_controller, chunk) {
    this.res.write(chunk);
  }
  onResponseEnd() {
    this.res.end();
  }
  onResponseError(_controller, err) {
    this.res.destroy(err);
  }
}

const server = createServer((req, res) => {
  const headers = [];
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i].toLowerCase();
    if (name !== 'host' && name !== 'connection') headers.push(name, raw[i + 1]);
  }
  pool.dispatch({ method: req.method, path: req.url.replace('/api/items', '/items'), headers, body: null }, new Handler(res));
});
server.keepAliveTimeout = 6_000;
server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
