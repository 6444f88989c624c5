/** @module The domain core's public surface. Pure: no I/O, no adapter imports. */
export * from './diagnosis.js';
export * from './error-event.js';
export * from './errors.js';
export * from './lifecycle.js';
export * from './resolution.js';
export * from './signature.js';
export * from './trace.js';
export * from './triage.js';
export * from './versions.js';
