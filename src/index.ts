/**
 * `import … from 'hooklane'`: embed the server in your own process (tests, custom entry points).
 * The receiver SDK is `hooklane/sdk`.
 */
export { resolveConfig, ConfigError, type Config, type ConfigFlags } from './config/index.js';
export { startServer, type RunningServer, type StartOptions } from './server.js';
export { openStore, type OpenStoreOptions } from './store/open.js';
export type { Store } from './store/types.js';
export type * from './domain/types.js';
