import { describe, expect, it } from 'vitest';
import { operationTemplate } from './operation.js';

describe('operationTemplate', () => {
  it('keeps the shape of routes and replaces ids in segments', () => {
    expect(operationTemplate('GET /api/users/{id}')).toBe('GET /api/users/{id}');
    expect(operationTemplate('GET /api/users/42')).toBe('GET /api/users/<id>');
    expect(operationTemplate('GET /api/orders/42')).not.toBe(operationTemplate('GET /api/users/42'));
    expect(operationTemplate('DELETE /carts/3f2c9a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60/items/7')).toBe(
      'DELETE /carts/<id>/items/<id>',
    );
    expect(operationTemplate('SELECT shop.orders')).toBe('SELECT shop.orders');
    expect(operationTemplate('shop.Orders/Get')).toBe('shop.Orders/Get');
    expect(operationTemplate('  ')).toBe('');
  });

  it('keeps words that merely contain digits', () => {
    expect(operationTemplate('GET /v2/oauth2/token')).toBe('GET /v2/oauth2/token');
    expect(operationTemplate('process s3-upload')).toBe('process s3-upload');
  });
});
