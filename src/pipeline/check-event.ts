/** @module The minimum an event needs to be counted; sources are trusted to type events, not to fill them. */
import type { ErrorEvent } from '../domain/index.js';

const MAX_EVENT_ID_LENGTH = 512;

/** Returns why the event cannot be counted, or undefined when it can. */
export function checkEvent(event: ErrorEvent): string | undefined {
  if (typeof event.eventId !== 'string' || event.eventId === '') return 'eventId is missing';
  if (event.eventId.length > MAX_EVENT_ID_LENGTH) return `eventId is longer than ${MAX_EVENT_ID_LENGTH} characters`;
  if (typeof event.service !== 'string' || event.service.trim() === '') return 'service is missing';
  if (typeof event.errorType !== 'string') return 'errorType must be a string';
  if (typeof event.message !== 'string') return 'message must be a string';
  if (!Number.isFinite(event.timestamp)) return 'timestamp must be a number of milliseconds since the epoch';
  if (event.stackTrace !== undefined && typeof event.stackTrace !== 'string') return 'stackTrace must be a string';
  return undefined;
}
