/** @module Grouping facts of an error span that carries no exception: HTTP, RPC and database semantic conventions. */
import type { Attributes, AttributeValue } from '../domain/index.js';

/**
 * Each fact lists the attribute names that carry it, newest semantic-convention name first, so spans from
 * old and new SDKs agree. Order here is the order in the hash: appending is safe, reordering regroups.
 */
const FACTS: readonly { name: string; keys: readonly string[]; transform?: (value: string) => string }[] = [
  { name: 'http.method', keys: ['http.request.method', 'http.method'] },
  { name: 'http.route', keys: ['http.route', 'url.template'] },
  { name: 'http.status_class', keys: ['http.response.status_code', 'http.status_code'], transform: statusClass },
  { name: 'rpc.system', keys: ['rpc.system.name', 'rpc.system'] },
  { name: 'rpc.method', keys: ['rpc.method'] },
  { name: 'rpc.service', keys: ['rpc.service'] },
  { name: 'rpc.status', keys: ['rpc.response.status_code', 'rpc.grpc.status_code'] },
  { name: 'db.system', keys: ['db.system.name', 'db.system'] },
  { name: 'db.operation', keys: ['db.operation.name', 'db.operation'] },
  { name: 'db.collection', keys: ['db.collection.name', 'db.sql.table', 'db.mongodb.collection'] },
  { name: 'messaging.operation', keys: ['messaging.operation.type', 'messaging.operation'] },
  { name: 'messaging.destination', keys: ['messaging.destination.name'] },
  { name: 'error.type', keys: ['error.type'] },
];

export interface SemconvFact {
  name: string;
  value: string;
}

/** The facts present on the attributes, in hash order. Empty when the span has none of them. */
export function semconvFacts(attributes: Attributes): SemconvFact[] {
  const facts: SemconvFact[] = [];
  for (const fact of FACTS) {
    for (const key of fact.keys) {
      const raw = attributes[key];
      if (raw === undefined || raw === null) continue;
      const text = scalarText(raw);
      if (text === undefined) continue;
      facts.push({ name: fact.name, value: fact.transform === undefined ? text : fact.transform(text) });
      break;
    }
  }
  return facts;
}

/** 503 and 504 from one route are the same failure class; the exact code is evidence, not identity. */
function statusClass(code: string): string {
  const digits = /^\d{3}$/.test(code.trim()) ? code.trim() : undefined;
  return digits === undefined ? code : `${digits[0]}xx`;
}

function scalarText(value: AttributeValue): string | undefined {
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
