/**
 * `@msx/runtime/config`: a service's own settings, declared once with zod,
 * from its environment and, where the system runs Consul, its KV store,
 * kept current by a blocking-query watch.
 */
export {
  defineConfig,
  type ConfigDefinition,
  type ConfigOwner,
  type LiveSettings,
  type LoadSettingsOptions,
  type SettingOrigin,
  type Settings,
  type SettingsShape,
} from './define-config.js';
export { configSourceFromEnvironment, type ConfigSourceKind } from './config-source.js';
export { ConfigError, CONFIG_ERROR_EXIT_CODE, type ConfigIssue } from '../service/errors/ConfigError.js';
export { z } from 'zod';
