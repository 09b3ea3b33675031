/** `@msx/runtime/auth`: user-token verification and signing, gateway identity, service-to-service tokens. */
export {
  createUserTokenVerifier,
  verifyUserToken,
  signUserToken,
  type UserTokenAlgorithm,
  type UserTokenOptions,
  type UserIdentity,
  type UserTokenVerifier,
  type SignUserTokenOptions,
  type UserTokenClaims,
} from './user-token.js';
export { UserTokenError, type UserTokenErrorCode } from './user-token-error.js';
export {
  gatewayIdentity,
  readGatewayIdentity,
  signGatewayIdentity,
  signAnonymousGatewayIdentity,
  verifyGatewayHeaders,
  gatewayIdentityHeaders,
  ANONYMOUS_IDENTITY_TTL_SEC,
  GatewayIdentityError,
  IDENTITY_HEADER,
  IDENTITY_SIGNATURE_HEADER,
  IDENTITY_SECRET_ENV,
  type GatewayIdentity,
  type GatewayAssertion,
  type GatewayIdentityErrorCode,
  type GatewayIdentityOptions,
  type RequestWithIdentity,
} from './gateway-identity.js';
export * from './service-token-exports.js';
export { createCallerVerifier, CallerRefusedError, type Caller, type CallerVerifierOptions } from './caller.js';
export { requireUser, requireOwnerOrScope, ADMIN_SCOPE, FORBIDDEN_PROBLEM_TYPE, type OwnerOrScopeOptions } from './authorize.js';
