import { describe, expect, it } from 'vitest';
import type { Signature, TraceSnapshot } from '../../domain/index.js';
import { type EvidenceStore, loadEvidenceInputs } from './load-evidence-inputs.js';
import { eventFor, signatureFor } from './testdata/helpers.js';

function store(overrides: Partial<EvidenceStore> = {}): EvidenceStore {
  const snapshot = (traceId: string): TraceSnapshot => ({ traceId, spans: [], capturedAt: 0 });
  return {
    listSamples: async () => [
      eventFor({ traceId: 't1' }),
      eventFor({ eventId: 'ev-2', traceId: 't2' }),
      eventFor({ eventId: 'ev-3', traceId: 't1' }),
    ],
    getTraceSnapshot: async (id) => (id === 't2' ? undefined : snapshot(id)),
    listSignatures: async (): Promise<Signature[]> => [],
    ...overrides,
  };
}

describe('loadEvidenceInputs', () => {
  it('reads samples and one snapshot per distinct trace', async () => {
    const loaded = await loadEvidenceInputs(store(), signatureFor());
    expect(loaded.samples).toHaveLength(3);
    expect(loaded.traces.map((t) => t.traceId)).toEqual(['t1']);
    expect(loaded.notes).toEqual([]);
  });

  it('rejects when the samples cannot be read', async () => {
    const failing = store({ listSamples: () => Promise.reject(new Error('store down')) });
    await expect(loadEvidenceInputs(failing, signatureFor())).rejects.toThrow('store down');
  });

  it('notes a failed snapshot or similar-signature read and goes on', async () => {
    const loaded = await loadEvidenceInputs(
      store({
        getTraceSnapshot: () => Promise.reject(new Error('corrupt row')),
        listSignatures: () => Promise.reject(new Error('timeout')),
      }),
      signatureFor(),
    );
    expect(loaded.samples).toHaveLength(3);
    expect(loaded.notes).toEqual([
      '2 trace snapshot(s) could not be read from the store',
      'similar signatures could not be read from the store',
    ]);
  });
});
