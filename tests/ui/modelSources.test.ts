import { describe, expect, it } from 'vitest';
import { sameModel } from '../../src/ui/model/modelSources';
import type { ModelIdentity } from '../../src/worker/api';

const identity = (fields: Record<string, string | number>) => fields as unknown as ModelIdentity;

describe('sameModel: which base model a run or adapter needs', () => {
  it('accepts a renamed copy of the same file', () => {
    expect(sameModel(identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f1' }), identity({ fileName: 'b.gguf', fileBytes: 10, fingerprint: 'f1' }))).toBe(true);
  });

  it('refuses the same name with other content or another size', () => {
    expect(sameModel(identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f1' }), identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f2' }))).toBe(false);
    expect(sameModel(identity({ fileName: 'a.gguf', fileBytes: 10, fingerprint: 'f1' }), identity({ fileName: 'a.gguf', fileBytes: 11, fingerprint: 'f1' }))).toBe(false);
  });
});
