import { describe, expect, it } from 'vitest';
import { maskValue } from './mask.js';

describe('maskValue', () => {
  it('hides secrets but keeps a short prefix', () => {
    expect(maskValue('ANTHROPIC_API_KEY', 'sk-ant-api03-very-secret-value')).toBe('sk-a****');
    expect(maskValue('GITHUB_TOKEN', 'short')).toBe('****');
  });
  it('masks only the password of a database URL', () => {
    expect(maskValue('STORE_POSTGRESQL_URL', 'postgresql://rounds:hunter2@db:5432/rounds')).toBe(
      'postgresql://rounds:****@db:5432/rounds',
    );
    expect(maskValue('STORE_POSTGRESQL_URL', 'not a url with hunter2')).toBe('****');
  });
  it('leaves ordinary values alone', () => {
    expect(maskValue('POLL_INTERVAL_SECONDS', '60')).toBe('60');
    expect(maskValue('GITHUB_TOKEN', undefined)).toBeUndefined();
  });
});
