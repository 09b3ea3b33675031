import { createHmac, randomUUID } from 'node:crypto';
import { CliError } from '../errors/cli-error.js';
import type { Manifest } from '../manifest/schema.js';
import { readSystemSecrets } from '../secrets/system-secrets.js';

/** The issuer the runtime's admin surface (runtime/src/admin/admin-routes.ts) accepts. */
export const ADMIN_TOKEN_ISSUER = 'msx';
const SECRET_VARIABLE = 'MSX_SERVICE_TOKEN_SECRET';
/**
 * Where the admin surface also takes the token (runtime/src/admin/admin-token-header.ts):
 * through the Kubernetes API server's pod proxy, whose authentication
 * deletes the Authorization header before the request reaches the pod.
 */
export const ADMIN_TOKEN_HEADER = 'x-msx-admin-token';

/**
 * A short-lived service token for one service's admin surface: HS256 over
 * the system's MSX_SERVICE_TOKEN_SECRET, `type: service`, issuer `msx`,
 * audience the service — exactly what the runtime's verifier checks. Signed
 * with node:crypto, as `msx token` does, so no JOSE library loads here.
 */
export function signAdminToken(secret: string, service: string, ttlSeconds = 60, now = Math.floor(Date.now() / 1000)): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const payload = { type: 'service', iss: ADMIN_TOKEN_ISSUER, sub: ADMIN_TOKEN_ISSUER, aud: service, iat: now, exp: now + ttlSeconds, jti: randomUUID() };
  const body = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

/** MSX_SERVICE_TOKEN_SECRET from the environment, else the run's secrets file (`.env`, or the environment's `.env.<name>`). */
export function serviceTokenSecret(root: string, manifest: Manifest): string {
  const secrets = readSystemSecrets(root, manifest);
  const secret = process.env[SECRET_VARIABLE] || secrets.values[SECRET_VARIABLE];
  if (!secret) throw new CliError(`no ${SECRET_VARIABLE} in the environment or in ${secrets.file ?? 'msx\'s environment'}`, { exitCode: 2, hint: `msx new writes it into .env, and msx up --env <name> into .env.<name>; copy it from the system that created this folder` });
  return secret;
}
