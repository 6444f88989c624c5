/** @module Notifier: a place Rounds reports what it learned (stdout, markdown files, GitHub issues). */
import type { ErrorEvent, Signature } from '../domain/index.js';

/**
 * `resolved` lets a channel that keeps state (a GitHub issue) close what it opened; `update` refreshes such state
 * (occurrence count, last seen) and never creates anything.
 */
export type NotificationKind = 'new_signature' | 'diagnosis' | 'regression' | 'resolved' | 'update';

export interface Notification {
  readonly kind: NotificationKind;
  readonly signature: Signature;
  /** Recent sample events, newest first, when the caller has them: reports link to their traces. */
  readonly samples?: readonly ErrorEvent[];
}

export interface Notifier {
  readonly name: string;
  notify(notification: Notification): Promise<void>;
}
