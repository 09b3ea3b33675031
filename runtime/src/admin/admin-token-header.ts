/**
 * The header msx may carry its admin token in instead of
 * `Authorization: Bearer`: `X-Msx-Admin-Token: <service token>`.
 *
 * Why a second place: on Kubernetes msx reaches each pod's admin surface
 * through the API server's pod proxy
 * (`/api/v1/namespaces/{ns}/pods/{pod}:{port}/proxy/_msx/...`), and there
 * `Authorization` is the API server's own credential — the kube-apiserver
 * authenticates the request with it and then deletes it
 * (k8s.io/apiserver pkg/endpoints/filters/authentication.go,
 * `req.Header.Del("Authorization")`) before proxying, so a bearer token can
 * never reach the pod that way. Other request headers are passed on.
 *
 * The token in it is verified exactly as a bearer token is (issuer msx,
 * audience the service, HS256, expiry): only where it travels differs. The
 * gateway never forwards this header (gateway/forwarded-headers.ts), so a
 * client of the public API cannot even present one to a service.
 */
export const ADMIN_TOKEN_HEADER = 'x-msx-admin-token';
