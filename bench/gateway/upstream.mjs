// The small JSON upstream every bench target forwards to (node:http, keep-alive).
import { createServer } from 'node:http';

const body = JSON.stringify({ id: 42, name: 'widget', price: 9.99, tags: ['a', 'b'] });
const server = createServer((req, res) => {
  // Drain any body so keep-alive connections stay usable.
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
