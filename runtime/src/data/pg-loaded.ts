/**
 * `pg`, evaluated with the Node 21 `navigator` of pg-navigator.ts in place
 * and without it afterwards. Static imports, in this order, and not a
 * `require` through `createRequire`: a bundler (the service images bundle
 * each service into one file) follows imports, not a require it cannot see.
 */
import { removePgNavigator } from './pg-navigator.js';
import pg from 'pg';

removePgNavigator();

export { pg };
