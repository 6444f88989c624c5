/** @module Ports: the interfaces adapters implement and the core depends on. */
export type * from './diagnosis-engine.js';
export type * from './event-sink.js';
export type * from './notifier.js';
export type * from './signature-store.js';
