// The design guide's gateway: express + express-rate-limit + jsonwebtoken +
// http-proxy-middleware, written as the guide shows it (library defaults).
import express from 'express';
import { rateLimit } from 'express-rate-limit';
import jwt from 'jsonwebtoken';
import { createProxyMiddleware } from 'http-proxy-middleware';

const [upstreamUrl, secret] = process.argv.slice(2);
const app = express();
app.use(rateLimit({ windowMs: 60_000, limit: 1_000_000_000, standardHeaders: 'draft-6', legacyHeaders: false }));
app.use('/api', (req, res, next) => {
  const header = req.headers.authorization ?? '';
  const token = header.startsWith('Bearer ') ? header.slice(7) : undefined;
  if (!token) return res.status(401).json({ error: 'missing token' });
  try {
    req.user = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: 'bench', audience: 'bench-api' });
    next();
  } catch {
    res.status(401).json({ error: 'invalid token' });
  }
});
app.use('/api/items', createProxyMiddleware({ target: `${upstreamUrl}/items`, changeOrigin: true }));
const server = app.listen(0, '127.0.0.1', () => console.log(`READY ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
