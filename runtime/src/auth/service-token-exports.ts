/** Service-to-service tokens, re-exported by `@msx/runtime/auth` through one line in `index.ts`. */
export {
  signServiceToken,
  verifyServiceToken,
  createServiceTokenVerifier,
  serviceTokenKey,
  SERVICE_TOKEN_SECRET_ENV,
  SERVICE_TOKEN_TYPE,
  SERVICE_TOKEN_ALGORITHM,
  DEFAULT_SERVICE_TOKEN_TTL_SEC,
  type ServiceIdentity,
  type SignServiceTokenOptions,
  type VerifyServiceTokenOptions,
} from './service-token.js';
export { ServiceTokenError, type ServiceTokenErrorCode } from './service-token-error.js';
export { createServiceTokenIssuer, type ServiceTokenIssuer, type ServiceTokenIssuerOptions } from './service-token-issuer.js';
export { requireServiceToken, SERVICE_TOKEN_PROBLEM_TYPE } from './service-token-middleware.js';
