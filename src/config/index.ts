/** @module Configuration: the only reader of process.env. */
export {
  ConfigError,
  ENV_FILE_NAME,
  type LoadedConfig,
  type LoadOptions,
  loadConfig,
  type ValueOrigin,
} from './load.js';
export { maskValue } from './mask.js';
export { type EnvConfig, envSchema } from './schema.js';
