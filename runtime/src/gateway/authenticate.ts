/**
 * Bearer-token extraction and the RFC 6750 challenge. A missing token gets
 * a bare `Bearer realm="…"` challenge (no `error`, so clients know to
 * authenticate rather than that their token is bad); a rejected one gets
 * `error="invalid_token"` and a description.
 */
import type { UserTokenError } from '../auth/user-token-error.js';

/** The token of an `Authorization: Bearer …` header; undefined when absent or of another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined || header.length < 8) return undefined;
  const scheme = header.slice(0, 7);
  if (scheme !== 'Bearer ' && scheme.toLowerCase() !== 'bearer ') return undefined;
  const token = header.slice(7).trim();
  return token === '' ? undefined : token;
}

function quoted(value: string): string {
  return `"${value.replace(/["\\]/g, '')}"`;
}

export function wwwAuthenticate(realm: string, error?: UserTokenError): string {
  if (error === undefined || error.code === 'missing') return `Bearer realm=${quoted(realm)}`;
  return `Bearer realm=${quoted(realm)}, error="invalid_token", error_description=${quoted(error.message)}`;
}
