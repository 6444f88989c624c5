/** @module Fingerprinting: stack-trace parsing, message templating and the stable fingerprint. */
export { CURRENT_CONFIG, type FingerprintConfig, lookupConfig } from './configs.js';
export { Fingerprinter, type FingerprinterOptions, type FingerprintInput } from './fingerprint.js';
export { languageFromHint, parseStackTrace } from './frames/index.js';
export type { InAppPatterns } from './in-app.js';
export { parameterize } from './parameterize.js';
