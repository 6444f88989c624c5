/** @module Notifier: a place Rounds reports what it learned (stdout, markdown files, GitHub issues). */
import type { Signature } from '../domain/index.js';

export type NotificationKind = 'new_signature' | 'diagnosis' | 'regression';

export interface Notification {
  readonly kind: NotificationKind;
  readonly signature: Signature;
}

export interface Notifier {
  readonly name: string;
  notify(notification: Notification): Promise<void>;
}
