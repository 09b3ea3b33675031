/**
 * `@msx/runtime`: the service kit every generated service is built on.
 * The gateway, client, auth, discovery and bus have their own entry points
 * (`@msx/runtime/gateway`, …).
 */
export * from './service/index.js';
export { z } from 'zod';
