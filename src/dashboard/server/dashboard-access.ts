/**
 * Who may use the dashboard: whoever holds the random token in the URL that
 * `msx dashboard` prints, as .NET Aspire's dashboard does. The first page
 * load presents it as `?token=`; the server answers with an HttpOnly,
 * SameSite=Strict cookie and a redirect that drops the token from the
 * address bar, so it stays out of history and referrers. Every request is
 * checked in constant time; the Host header must name this loopback server
 * (a DNS-rebinding page cannot reach it), and a request that changes
 * something must come from the dashboard's own origin.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const COOKIE = 'msx_dashboard';

export interface DashboardAccess {
  readonly token: string;
  /** Whether the request carries the token, in the cookie or as `?token=`. */
  allows(req: IncomingMessage, url: URL): boolean;
  /** Whether `?token=` (not the cookie) carried it: the page answer then sets the cookie. */
  presentedInQuery(url: URL): boolean;
  /** Whether the Host header names this server (127.0.0.1 or localhost on its port). */
  hostAllowed(req: IncomingMessage, port: number): boolean;
  /** Whether a state-changing request comes from the dashboard's own page. */
  sameOrigin(req: IncomingMessage, port: number): boolean;
}

export function dashboardAccess(token = randomBytes(24).toString('hex')): DashboardAccess {
  const expected = Buffer.from(token);
  const matches = (presented: string | undefined) => {
    if (presented === undefined) return false;
    const given = Buffer.from(presented);
    return given.length === expected.length && timingSafeEqual(given, expected);
  };
  const hosts = (port: number) => [`127.0.0.1:${port}`, `localhost:${port}`];
  return {
    token,
    allows: (req, url) => matches(url.searchParams.get('token') ?? undefined) || matches(cookieValue(req.headers.cookie, COOKIE)),
    presentedInQuery: (url) => matches(url.searchParams.get('token') ?? undefined),
    hostAllowed: (req, port) => hosts(port).includes(req.headers.host ?? ''),
    sameOrigin: (req, port) => {
      const origin = req.headers.origin;
      // Browsers send Origin on every cross-origin POST; a same-origin fetch may omit it, and curl has none.
      return origin === undefined || hosts(port).some((h) => origin === `http://${h}`);
    },
  };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}
