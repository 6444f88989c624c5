import { describe, expect, it } from 'vitest';
import { canonicalJson, webhookEvent, webhookEventId } from './webhook-event.js';

describe('webhookEventId', () => {
  const request = { service: 'api', errorType: 'E', message: 'boom', attributes: { b: 1, a: { d: 2, c: [3] } } };

  it('is the same for the same content, whatever the key order', () => {
    const reordered = { attributes: { a: { c: [3], d: 2 }, b: 1 }, message: 'boom', errorType: 'E', service: 'api' };
    expect(webhookEventId(reordered)).toBe(webhookEventId(request));
    expect(webhookEventId(request)).toMatch(/^webhook:[0-9a-f]{32}$/);
  });

  it('differs when the occurrence differs (time, trace, message)', () => {
    const id = webhookEventId(request);
    expect(webhookEventId({ ...request, timestamp: 1 })).not.toBe(id);
    expect(webhookEventId({ ...request, traceId: 't' })).not.toBe(id);
    expect(webhookEventId({ ...request, message: 'boom!' })).not.toBe(id);
  });
});

describe('webhookEvent', () => {
  it('is a webhook ErrorEvent, timed now when the body gives no time, with a stable id', () => {
    const request = { service: 'api', message: 'boom', stackTrace: 'trace' };
    const event = webhookEvent(request, 1000);
    expect(event).toEqual({
      eventId: webhookEventId(request),
      service: 'api',
      errorType: '',
      message: 'boom',
      stackTrace: 'trace',
      timestamp: 1000,
      attributes: {},
      source: 'webhook',
    });
    expect(webhookEvent(request, 2000).eventId).toBe(event.eventId);
  });
});

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps arrays in order', () => {
    expect(canonicalJson({ b: [2, { z: 1, y: null }], a: 'x' })).toBe('{"a":"x","b":[2,{"y":null,"z":1}]}');
  });
});
