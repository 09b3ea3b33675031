/**
 * The last user token verified on a client connection, with its identity.
 * A keep-alive connection nearly always carries one client's token on every
 * request, so comparing the header with the previous one (a length check
 * and a memcmp) replaces the verifier's cache lookup, which hashes the
 * whole token into its LRU map, reorders the map and costs a promise per
 * request. The rule is the verifier cache's: a verdict is never reused at
 * or after the token's `exp`. The gateway only uses this when that cache is
 * on, since `cacheSize: 0` asks for a full verification every time.
 */
import type { Socket } from 'node:net';
import type { UserIdentity } from '../auth/user-token.js';

const LAST_TOKEN = Symbol('msx.gateway.lastToken');

interface Remembered {
  readonly token: string;
  readonly identity: UserIdentity;
}

type SocketWithToken = Socket & { [LAST_TOKEN]?: Remembered };

/** The identity verified for `token` on this connection, while the token has not expired. */
export function rememberedIdentity(socket: Socket, token: string, nowSec: number): UserIdentity | undefined {
  const last = (socket as SocketWithToken)[LAST_TOKEN];
  if (last === undefined || last.token !== token || last.identity.exp <= nowSec) return undefined;
  return last.identity;
}

export function rememberIdentity(socket: Socket, token: string, identity: UserIdentity): void {
  (socket as SocketWithToken)[LAST_TOKEN] = { token, identity };
}
