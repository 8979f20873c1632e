import { describe, expect, it } from 'vitest';
import { BUNDLED_MODEL_NAME, modelSourceFor, sameModel } from '../../src/ui/model/modelSources';
import type { ModelIdentity } from '../../src/worker/api';

const identity = (fields: Record<string, string | number>) => fields as unknown as ModelIdentity;

describe('sameModel: which base model a run or adapter needs', () => {
  it('accepts a renamed copy of the same file', () => {
    expect(
      sameModel(
        identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f1' }),
        identity({ fileName: 'b.gguf', fileBytes: 10, fingerprint: 'f1' }),
      ),
    ).toBe(true);
  });

  it('refuses the same name with other content or another size', () => {
    expect(
      sameModel(
        identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f1' }),
        identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f2' }),
      ),
    ).toBe(false);
    expect(
      sameModel(
        identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f1' }),
        identity({ fileName: 'a.gguf', fileBytes: 11, fingerprint: 'f1' }),
      ),
    ).toBe(false);
  });
});

describe('modelSourceFor: what Resume loads before continuing a run', () => {
  const wanted = identity({ fileName: 'mistral-7b.Q4_0.gguf', fileBytes: 4_000, fingerprint: 'm7' });
  const keptCopy = {
    name: 'renamed.gguf',
    bytes: 4_000,
    identity: identity({ fileName: 'renamed.gguf', fileBytes: 4_000, fingerprint: 'm7' }),
    keptAt: '2026-01-01T00:00:00Z',
  };
  const other = { ...keptCopy, name: 'other.gguf', identity: identity({ fileName: 'other.gguf', fileBytes: 4_000, fingerprint: 'zz' }) };

  it("uses the loaded model when it is the run's base model", () => {
    expect(modelSourceFor(wanted, identity({ fileName: 'x.gguf', fileBytes: 4_000, fingerprint: 'm7' }), [keptCopy])).toEqual({
      kind: 'loaded',
    });
  });

  it('loads a kept copy with the same content, whatever its name', () => {
    expect(modelSourceFor(wanted, undefined, [other, keptCopy])).toEqual({ kind: 'kept', name: 'renamed.gguf' });
  });

  it('loads the bundled tiny model for runs trained on it', () => {
    expect(modelSourceFor(identity({ fileName: BUNDLED_MODEL_NAME, fileBytes: 1, fingerprint: 't' }), wanted, [other])).toEqual({
      kind: 'bundled',
    });
  });

  it('says the model is missing when it is neither loaded, kept nor bundled', () => {
    expect(modelSourceFor(wanted, identity({ fileName: 'mistral-7b.Q4_0.gguf', fileBytes: 4_000, fingerprint: 'other' }), [other])).toEqual(
      { kind: 'missing' },
    );
  });
});
