/** @module Span-name templates: ids in path segments go, the route's shape stays. */

// A full message template would turn `GET /api/users/{id}` into `GET <path>`, merging every route; span names
// need the opposite: keep each path segment, replace only segments that are obviously one occurrence's value.
const VALUE_SEGMENT =
  /^(?:\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[0-9a-fA-F]{12,}|[A-Za-z0-9_-]{20,})$/;
const SEGMENT_SPLIT = /([/\s?&=.:])/;

export function operationTemplate(name: string): string {
  const trimmed = name.trim().slice(0, 512);
  if (trimmed === '') return '';
  return trimmed
    .split(SEGMENT_SPLIT)
    .map((part) => (VALUE_SEGMENT.test(part) && /\d/.test(part) ? '<id>' : part))
    .join('');
}
